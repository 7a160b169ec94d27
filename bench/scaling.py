"""Data-access scaling: AWS calls and items read per request for every list, search and report
route, at each record count. Each world (bench/scaling_cases.py) fills its tables with N records
through the repositories' own key shapes; each case serves its request through the real handler,
once to warm it (clients, cached secrets), then once more counted with a botocore hook
(bench/counting.py). Goal: the same counts at every size (ratio <= 1.05), and no Scan."""

from __future__ import annotations

import time
from typing import Any

from bench.counting import counting
from bench.scaling_cases import WORLDS, Case, World


def _matches(case: Case, only: list[str] | None) -> bool:
    return not only or any(part in case.name or part in case.function for part in only)


def run_world(world: World, cases: list[Case], n: int) -> dict[str, dict[str, Any]]:
    """Every case's figures in one fresh in-memory AWS holding ``n`` records of the world."""
    from moto import mock_aws

    from local.inprocess import EnvPatch, LambdaHarness, _forget_function_modules, reset_common_state
    from local.provision import Provisioner
    from local.template import Stack

    results: dict[str, dict[str, Any]] = {}
    with mock_aws(), counting() as counter:
        env = EnvPatch()  # inside mock_aws: undone before moto takes back its own variables
        reset_common_state()  # clients and secrets made earlier would be read before counting
        stack = Stack.from_file()
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            env.setenv(name, stack.region)
        Provisioner(stack, endpoint_url=None).create_all()
        started = time.time()
        world.fill(stack, n)
        filled = time.time() - started
        try:
            harness = LambdaHarness(stack, env)
            for case in cases:
                handler = harness.handler(case.function)
                request = case.request(handler)
                handler(request)  # warm: clients made, secrets cached
                counter.reset()
                answer = handler(request)
                status = answer.get("statusCode")
                if status != case.expect:
                    raise RuntimeError(f"{case.name}: answered {status}, not {case.expect}: {answer.get('body')}")
                results[case.name] = {**counter.figures, "status": status, "fill_seconds": round(filled, 1)}
        finally:
            env.undo()
            _forget_function_modules()
            reset_common_state()
    return results


def measure(counts: list[int], only: list[str] | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for world in WORLDS:
        cases = [case for case in world.cases if _matches(case, only)]
        if not cases:
            continue
        for n in counts:
            for name, figures in run_world(world, cases, n).items():
                results.setdefault(name, {"function": next(c.function for c in cases if c.name == name)})[str(n)] = (
                    figures
                )
    for row in results.values():
        sizes = sorted(int(k) for k in row if k.isdigit())
        first, last = row[str(sizes[0])], row[str(sizes[-1])]
        row["ratio_calls"] = last["aws_calls"] / max(1, first["aws_calls"])
        row["ratio_items"] = last["items_read"] / max(1, first["items_read"])
    return results
