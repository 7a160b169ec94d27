"""`make bench`: writes bench/results.md, bench/results.json and bench/cold_init.png.

Every figure is a median of repeated runs with its min and max; every ratio is measured side by
side in the same run. Goals (issue "Benchmarks"): cold init <= 1.25x the floor and <= 1.0x the peer;
warm overhead <= 2 ms p50 and <= 5 ms p99; the same AWS calls and items read per request at 1,000
and 100,000 records, no Scan; 100% of shipped .py with a valid unchecked-hash .pyc."""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import time
from typing import Any

from local.template import ROOT

OUT = ROOT / "bench"
PHASES = ("cold", "warm", "scaling")
GOALS = {"cold_vs_floor": 1.25, "cold_vs_peer": 1.0, "warm_p50_ms": 2.0, "warm_p99_ms": 5.0, "scaling_ratio": 1.05}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_build(fresh: bool) -> None:
    """`make build`'s artifact, whose sizes the artifacts table reports: made again for a full run
    (an artifact left from older code would report that code), reused by a partial one if present."""
    if fresh or not (ROOT / ".aws-sam" / "build" / "template.yaml").exists():
        subprocess.run(["make", "build"], cwd=ROOT, check=True)  # noqa: S607


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function")
    parser.add_argument("--iterations", type=int, default=1000, help="warm calls per route")
    parser.add_argument("--scaling", default="1000,100000", help="record counts for the scaling table")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (a partial run writes bench/.work/results.*)",
    )
    parser.add_argument(
        "--functions",
        default="",
        help="only functions (cold) and cases (scaling) whose name contains one of these comma-separated substrings",
    )
    parser.add_argument(
        "--reuse-build", action="store_true", help="cold: use .aws-sam/bench-build as it is (no sam build)"
    )
    args = parser.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    only = [f for f in args.functions.split(",") if f]
    partial = bool(only) or set(phases) != set(PHASES)

    from bench import artifacts, cold, scaling, warm
    from bench.aws_env import EmbeddedAws
    from bench.build import build_for_this_machine, install_peer_deps
    from bench.report import write_chart, write_markdown
    from local.__main__ import prepare_runtime

    ensure_build(fresh=not partial)
    started = time.time()
    results: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": _cpus()},
        "goals": GOALS,
    }
    results["artifacts"] = artifacts.measure()  # what `make build` ships (arm64)
    results["cold"], results["warm"], results["scaling"] = {}, {}, {}
    if "cold" in phases:
        if not (args.reuse_build and (ROOT / ".aws-sam" / "bench-build" / "template.yaml").exists()):
            build_for_this_machine()
        install_peer_deps()
        with EmbeddedAws(free_port()) as embedded:
            prepare_runtime(embedded.stack)
            results["cold"] = cold.measure(
                embedded.stack,
                {**embedded.credentials()},
                args.runs,
                ROOT / ".local" / "bench-functions.log",
                only=only,
                reference=results.setdefault("cold_libraries", {}),
            )
    if "warm" in phases:
        results["warm"] = warm.measure(args.iterations)
    if "scaling" in phases:
        results["scaling"] = scaling.measure([int(n) for n in args.scaling.split(",")], only=only)
    results["seconds"] = round(time.time() - started, 1)
    out = OUT / ".work" if partial else OUT  # a partial run never overwrites the full results
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    write_markdown(results, out / "results.md")
    if results["cold"]:
        write_chart(results, out / "cold_init.png")
    sys.stdout.write((out / "results.md").read_text())


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
