"""Data-access scaling: AWS calls and items read per request for every list, search and report
route, at each record count. Each case (bench/scaling_cases.py) fills its table with N records
through the repository's own key shapes and serves one page through the real handler; the calls
are counted with a botocore hook, Scans flagged."""

from __future__ import annotations

from typing import Any

from bench.scaling_cases import CASES


def measure(counts: list[int]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for case in CASES:
        results[case.name] = {str(n): case.run(n) for n in counts}
        first, last = (results[case.name][str(n)] for n in (counts[0], counts[-1]))
        results[case.name]["ratio_calls"] = last["aws_calls"] / max(1, first["aws_calls"])
        results[case.name]["ratio_items"] = last["items_read"] / max(1, first["items_read"])
    return results
