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


def _warm_lines(rows: dict[str, Any], goals: dict[str, Any]) -> list[str]:
    """The warm table (routes and authorizers, with the goal) and the event handlers (for the record)."""
    p50_goal, p99_goal = goals["warm_p50_ms"], goals["warm_p99_ms"]

    def order(item: tuple[str, Any]) -> tuple[str, str, str]:
        name, row = item
        method, _, path = name.partition(" ")
        kind = row.get("kind", "route")
        return (kind, path, method) if path.startswith("/") else (kind, name, "")

    def answer(row: dict[str, Any]) -> str:
        status = row.get("status")
        replayed = row.get("replayed_status")
        if row.get("ok", True):
            return str(status)
        why = f"recorded {status}, replayed {row.get('statuses')}" if str(replayed) != str(status) else str(status)
        return f"⚠️ {why} (expected {row.get('success')})"

    def notes(row: dict[str, Any]) -> str:
        found = [row["note"]] if row.get("note") else []
        if row.get("http_calls_stubbed"):
            found.append(f"{row['http_calls_stubbed']} processor HTTP call(s) replayed at urlopen")
        if row.get("stopped_early"):
            found.append(row["stopped_early"])
        if row.get("calls_with_other_aws_calls"):
            found.append(f"{row['calls_with_other_aws_calls']} calls made other AWS calls than recorded")
        found += [f"failed: {f}" for f in row.get("failures") or []]
        return "; ".join(found).replace("|", "\\|")

    def line(name: str, row: dict[str, Any], marks: bool) -> str:
        if "error" in row:
            missing = " n/a |" * 5
            return f"| {name} | {row['function']} | ⚠️ not measured: {row['error']} |{missing} 0 | |"
        ok50 = (" ✅" if row["p50_ms"] <= p50_goal else " ❌") if marks else ""
        ok99 = (" ✅" if row["p99_ms"] <= p99_goal else " ❌") if marks else ""
        return (
            f"| {name} | {row['function']} | {answer(row)} | {row['p50_ms']:.2f}{ok50} | {row['p99_ms']:.2f}{ok99} "
            f"| {row['min_ms']:.2f}–{row['max_ms']:.2f} | {row['cpu_p50_ms']:.2f} / {row['cpu_p99_ms']:.2f} "
            f"| {row['aws_calls_per_request']} | {row['calls']:,} | {notes(row)} |"
        )

    head = [
        "| route | function | answer | p50 ms | p99 ms | min–max ms | CPU p50 / p99 ms | AWS calls per request | calls "
        "| notes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    routes = [(n, r) for n, r in sorted(rows.items(), key=order) if r.get("kind", "route") != "event"]
    events = [(n, r) for n, r in sorted(rows.items(), key=order) if r.get("kind") == "event"]
    measured = [r for _, r in routes if "error" not in r]
    met = sum(1 for r in measured if r["p50_ms"] <= p50_goal and r["p99_ms"] <= p99_goal and r.get("ok", True))
    flagged = sum(1 for _, r in routes if not r.get("ok", True))
    lines = [
        "",
        "## Warm overhead per route",
        "",
        f"Goal: ≤ {p50_goal} ms p50 and ≤ {p99_goal} ms p99 of the time inside the handler. Each route serves a "
        "warm-up request, then its own request on its success path with every AWS call recorded; then that request "
        "again and again with botocore Stubbers answering the recorded calls instantly (min–max: of all the calls). "
        "Data, ids, sessions, CSRF tokens and signed links are real (bench/world.py). As in the integration tests, "
        "X-Ray tracing and metrics publishing are off; the benchmark's own heap (moto, the data) is kept out of "
        "garbage collection. CPU: the thread's CPU time in the same calls; far below the wall time, it means other "
        "processes had the CPU (a shared machine).",
        "",
        f"{met} of {len(routes)} routes meet both goals; {flagged} answered other than their success status (⚠️).",
        "",
        *head,
        *(line(name, row, marks=True) for name, row in routes),
    ]
    if events:
        lines += [
            "",
            "Event handlers (not routes: no goal), measured the same way:",
            "",
            *head,
            *(line(name, row, marks=False) for name, row in events),
        ]
    return lines


def _cpu_ratio(stat: dict[str, Any] | None) -> str:
    return f"{stat['median']:.2f}×" if stat else "n/a"


def _meets(row: dict[str, Any], key: str, goal: float) -> bool:
    return bool(row.get(key)) and row[key]["median"] <= goal


def _cold_table(cold: dict[str, Any], goals: dict[str, Any]) -> list[str]:
    """The cold-start table: wall-clock times (the goal's measure) with CPU ratios beside them."""
    if not cold:
        return ["Not measured in this run."]
    floor_goal, peer_goal = goals["cold_vs_floor"], goals["cold_vs_peer"]
    with_peer = [row for row in cold.values() if row.get("ratio_to_peer")]
    lines = [
        f"Goal: ≤ {floor_goal}× the floor and ≤ {peer_goal}× the peer, each a fresh process from start to its "
        "first answer (imports, clients, the first event against the embedded AWS; the process's exit not "
        "counted). Wall-clock ms: median (min–max) of the runs, side by side in the same run; the ratios are "
        "the medians of run-by-run ratios, and the CPU ratio is the same comparison of the processes' own CPU "
        "time (steadier on a shared machine). The peer is the portal's Chalice app (bench/peers/), served the "
        "same event converted to payload v1.",
        "",
        f"Met: {sum(_meets(r, 'ratio_to_floor', floor_goal) for r in cold.values())} of {len(cold)} functions "
        f"≤ {floor_goal}× the floor; {sum(_meets(r, 'ratio_to_peer', peer_goal) for r in with_peer)} of "
        f"{len(with_peer)} ≤ {peer_goal}× the peer (wall-clock). By CPU time: "
        f"{sum(_meets(r, 'cpu_ratio_to_floor', floor_goal) for r in cold.values())} and "
        f"{sum(_meets(r, 'cpu_ratio_to_peer', peer_goal) for r in with_peer)}.",
        "",
        "| function | cold init | floor (boto3 + its clients) | ratio to floor | CPU | peer (Chalice) | ratio to peer "
        "| CPU | first answer (ours; peer's) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(cold.items()):
        answers = ", ".join(row["first_event_outcome"])
        if row.get("peer_outcome") and row["peer_outcome"] != row["first_event_outcome"]:
            answers += f"; {', '.join(row['peer_outcome'])}"
        lines.append(
            f"| {name} | {_ms(row['function'])} | {_ms(row['floor'])} | {_ratio(row['ratio_to_floor'], floor_goal)} "
            f"| {_cpu_ratio(row.get('cpu_ratio_to_floor'))} | {_ms(row.get('peer'))} "
            f"| {_ratio(row.get('ratio_to_peer'), peer_goal)} | {_cpu_ratio(row.get('cpu_ratio_to_peer'))} | {answers} |"
        )
    return lines


def _libraries_lines(row: dict[str, Any] | None, goals: dict[str, Any]) -> list[str]:
    """The reference row: what the required libraries alone cost against the floor."""
    if not row:
        return []
    verdict = (
        "No function can start below this, so the floor goal is out of reach while these libraries are loaded "
        "at init; each function's own code adds the rest of its ratio."
        if row["ratio_to_floor"]["median"] > goals["cold_vs_floor"]
        else "The libraries alone are within the floor goal; above it, a function's ratio is its own code's."
    )
    return [
        "",
        "**The required libraries alone.** A process with none of our code that imports what every function "
        "imports by the conventions (Powertools Logger, Tracer and Metrics, its event handler with validation, "
        "pydantic with one model; `REQUIRED_LIBRARIES` in bench/cold.py) beside the client "
        f"({', '.join(row['services'])}) made as the functions make it (botocore, without boto3), with a "
        "function's import path and environment "
        f"({row['environment_of']}'s), against the floor of that client alone (boto3), interleaved run by run: "
        f"{_ms(row['function'])} vs {_ms(row['floor'])}, {_ratio(row['ratio_to_floor'], goals['cold_vs_floor'])} "
        f"(CPU {_cpu_ratio(row.get('cpu_ratio_to_floor'))}). {verdict}",
    ]


def _scaling_table(scaling: dict[str, Any], goals: dict[str, Any]) -> list[str]:
    """Per list/search/report request: its AWS calls and items read at each table size."""
    if not scaling:
        return ["Not measured in this run."]
    goal = goals["scaling_ratio"]

    def ok(row: dict[str, Any]) -> bool:
        sizes = [v for k, v in row.items() if k.isdigit()]
        return row["ratio_calls"] <= goal and row["ratio_items"] <= goal and not any(f["scans"] for f in sizes)

    lines = [
        f"Goal: the same counts at every size (ratio ≤ {goal}), and no Scan. Each request is served once "
        "to warm its function, then counted (bench/counting.py): AWS calls by operation, items read "
        "(Query: ScannedCount; GetItem: the item found; BatchGetItem: the items answered; S3: objects "
        "read or listed). The tables hold the records the requests ask about (just over a page) and "
        "every other record someone else's (bench/scaling_cases.py).",
        "",
        f"Met: {sum(ok(row) for row in scaling.values())} of {len(scaling)} requests.",
        "",
        "| request | function | records | AWS calls | items read | Scans | calls made | ratio calls, items |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(scaling.items()):
        mark = "✅" if ok(row) else "❌"
        for count in sorted((k for k in row if k.isdigit()), key=int):
            figures = row[count]
            made = ", ".join(f"{op.split('.', 1)[1]} {n}" for op, n in figures.get("calls", {}).items())
            lines.append(
                f"| {name} | {row.get('function', '')} | {int(count):,} | {figures['aws_calls']} "
                f"| {figures['items_read']} | {figures['scans']} | {made} "
                f"| {row['ratio_calls']:.2f}, {row['ratio_items']:.2f} {mark} |"
            )
    return lines


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
        *_cold_table(results["cold"], goals),
        *_libraries_lines(results.get("cold_libraries"), goals),
    ]
    lines += _warm_lines(results["warm"], goals)
    lines += ["", "## Data-access scaling", "", *_scaling_table(results["scaling"], goals)]
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
