"""Results as Markdown tables and a PNG chart of cold init per function (function, floor, peer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _ms(stat: dict[str, Any] | None) -> str:
    if not stat:
        return "n/a"
    return f"{stat['median'] * 1000:.0f} ({stat['min'] * 1000:.0f}–{stat['max'] * 1000:.0f})"


def _ratio(stat: dict[str, Any] | None, goal: float) -> str:
    if not stat:
        return "n/a"
    mark = "✅" if stat["median"] <= goal else "❌"
    return f"{stat['median']:.2f}× ({stat['min']:.2f}–{stat['max']:.2f}) {mark}"


def write_markdown(results: dict[str, Any], path: Path) -> None:
    goals = results["goals"]
    lines = [
        "# Benchmark results",
        "",
        f"Python {results['machine']['python']} on {results['machine']['platform']}, "
        f"{results['machine']['cpus']} CPUs; the whole run took {results['seconds']} s. "
        "Times in ms: median (min–max).",
        "",
        "## Cold init per function",
        "",
        f"Goal: ≤ {goals['cold_vs_floor']}× the floor and ≤ {goals['cold_vs_peer']}× the peer.",
        "",
        "| function | cold init | floor (boto3 + its clients) | ratio to floor | peer (Chalice) | ratio to peer | first answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(results["cold"].items()):
        lines.append(
            f"| {name} | {_ms(row['function'])} | {_ms(row['floor'])} | {_ratio(row['ratio_to_floor'], goals['cold_vs_floor'])} "
            f"| {_ms(row.get('peer'))} | {_ratio(row.get('ratio_to_peer'), goals['cold_vs_peer'])} "
            f"| {', '.join(row['first_event_outcome'])} |"
        )
    lines += [
        "",
        "## Warm overhead per route",
        "",
        f"Goal: ≤ {goals['warm_p50_ms']} ms p50 and ≤ {goals['warm_p99_ms']} ms p99 "
        "(AWS calls answered instantly by botocore Stubbers).",
        "",
        "| function | p50 ms | p99 ms | calls | AWS calls per request | status |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in sorted(results["warm"].items()):
        if "error" in row:
            lines.append(f"| {name} | n/a | n/a | 0 | n/a | {row['error']} |")
            continue
        ok50 = "✅" if row["p50_ms"] <= goals["warm_p50_ms"] else "❌"
        ok99 = "✅" if row["p99_ms"] <= goals["warm_p99_ms"] else "❌"
        lines.append(
            f"| {name} | {row['p50_ms']:.2f} {ok50} | {row['p99_ms']:.2f} {ok99} | {row['calls']} "
            f"| {row['aws_calls_per_request']} | {row['status']} |"
        )
    lines += ["", "## Data-access scaling", ""]
    if results["scaling"]:
        lines += [
            f"Goal: the same counts at every size (ratio ≤ {goals['scaling_ratio']}), and no Scan.",
            "",
            "| route | records | AWS calls | items read | scans | ratio (calls, items) |",
            "|---|---|---|---|---|---|",
        ]
        for name, row in sorted(results["scaling"].items()):
            for count, figures in row.items():
                if count.startswith("ratio"):
                    continue
                lines.append(
                    f"| {name} | {int(count):,} | {figures['aws_calls']} | {figures['items_read']} | {figures['scans']} "
                    f"| {row['ratio_calls']:.2f}, {row['ratio_items']:.2f} |"
                )
    else:
        lines.append("No list route has a scaling case yet.")
    art = results["artifacts"]
    lines += [
        "",
        "## Artifacts (`make build`)",
        "",
        f"- Layer without boto3: {art['layer_bytes_without_boto3'] / 1e6:.1f} MB "
        f"({art['layer_bytes_with_pyc'] / 1e6:.1f} MB with .pyc)",
        f"- Shipped .py with a valid unchecked-hash .pyc: {art['py_files_with_valid_unchecked_hash_pyc']} of "
        f"{art['py_files']} ({art['pyc_share'] * 100:.1f}%)",
        "",
        "| function | code bytes |",
        "|---|---|",
    ]
    for name, size in sorted(art["function_code_bytes"].items()):
        lines.append(f"| {name} | {size:,} |")
    path.write_text("\n".join(lines) + "\n")


def write_chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(results["cold"])
    function = [results["cold"][n]["function"]["median"] * 1000 for n in names]
    floor = [results["cold"][n]["floor"]["median"] * 1000 for n in names]
    peer = [(results["cold"][n].get("peer") or {}).get("median", 0) * 1000 for n in names]
    fig, ax = plt.subplots(figsize=(10, max(3, 0.45 * len(names) + 1.5)))
    y = range(len(names))
    ax.barh([i - 0.27 for i in y], function, height=0.27, label="function (artifact)")
    ax.barh(list(y), floor, height=0.27, label="floor: boto3 + clients")
    ax.barh([i + 0.27 for i in y], peer, height=0.27, label="peer: Chalice")
    ax.set_yticks(list(y), names, fontsize=8)
    ax.set_xlabel("cold init, ms (median)")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
