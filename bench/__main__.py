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
GOALS = {"cold_vs_floor": 1.25, "cold_vs_peer": 1.0, "warm_p50_ms": 2.0, "warm_p99_ms": 5.0, "scaling_ratio": 1.05}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_build() -> None:
    if not (ROOT / ".aws-sam" / "build" / "template.yaml").exists():
        subprocess.run(["make", "build"], cwd=ROOT, check=True)  # noqa: S607


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function")
    parser.add_argument("--iterations", type=int, default=1000, help="warm calls per route")
    parser.add_argument("--scaling", default="1000,100000", help="record counts for the scaling table")
    args = parser.parse_args(argv)

    from bench import artifacts, cold, scaling, warm
    from bench.aws_env import EmbeddedAws
    from bench.build import build_for_this_machine
    from bench.report import write_chart, write_markdown
    from local.__main__ import prepare_runtime

    ensure_build()
    started = time.time()
    results: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": _cpus()},
        "goals": GOALS,
    }
    results["artifacts"] = artifacts.measure()  # what `make build` ships (arm64)
    build_for_this_machine()
    with EmbeddedAws(free_port()) as embedded:
        prepare_runtime(embedded.stack)
        results["cold"] = cold.measure(
            embedded.stack, {**embedded.credentials()}, args.runs, ROOT / ".local" / "bench-functions.log"
        )
    results["warm"] = warm.measure(args.iterations)
    results["scaling"] = scaling.measure([int(n) for n in args.scaling.split(",")])
    results["seconds"] = round(time.time() - started, 1)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    write_markdown(results, OUT / "results.md")
    write_chart(results, OUT / "cold_init.png")
    sys.stdout.write((OUT / "results.md").read_text())


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
