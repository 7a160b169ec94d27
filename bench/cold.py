"""Cold init per function: a fresh process imports the handler from the `make build` artifact (with
its hash-based .pyc) and serves its first event (from events/) against the embedded AWS.

Beside it, in the same run: the floor (a process that only imports boto3 and creates the clients
the function needs, from its template policies) and, where one is written, the peer (the same action
as a Chalice app, bench/peers/, measured the same way)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stats import summary
from local.functions import FunctionRunner, FunctionSpec, InvocationError, function_specs
from local.template import ROOT, Stack

BUILD = ROOT / ".aws-sam" / "bench-build"  # bench/build.py: `make build`'s recipe for this machine
RUNTIME = ROOT / ".local" / "runtime"
EVENTS = ROOT / "events"

_POLICY_SERVICES = {
    "DynamoDB": "dynamodb",
    "SQS": "sqs",
    "S3": "s3",
    "SES": "sesv2",
    "SecretsManager": "secretsmanager",
    "Cognito": "cognito-idp",
    "SSM": "ssm",
}
_ACTION_SERVICES = {"ses": "sesv2", "cognito-idp": "cognito-idp", "execute-api": None, "logs": None, "xray": None}


def services_of(stack: Stack, logical_id: str) -> list[str]:
    """The AWS clients a function needs, read from its template policies."""
    found: set[str] = set()
    for policy in (stack.resources[logical_id].get("Properties") or {}).get("Policies") or []:
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                actions = statement.get("Action", [])
                for action in actions if isinstance(actions, list) else [actions]:
                    prefix = str(action).split(":", 1)[0]
                    service = _ACTION_SERVICES.get(prefix, prefix)
                    if service:
                        found.add(service)
        elif isinstance(policy, dict):
            for name in policy:
                for key, service in _POLICY_SERVICES.items():
                    if key in name:
                        found.add(service)
    return sorted(found)


def first_event(spec: FunctionSpec) -> dict[str, Any] | None:
    portal = spec.code_dir.name
    module = spec.handler.split(".")[0]
    candidates = sorted((EVENTS / portal).glob(f"{module}*.json"))
    return json.loads(candidates[0].read_text()) if candidates else None


def artifact_spec(spec: FunctionSpec) -> FunctionSpec:
    return dataclasses.replace(
        spec,
        code_dir=BUILD / spec.logical_id,
        layer_dirs=[BUILD / "CommonLayer" / "python", RUNTIME],
    )


def time_cold_function(runner: FunctionRunner, spec: FunctionSpec, event: dict[str, Any]) -> tuple[float, str]:
    start = time.perf_counter()
    worker = runner.spawn(spec)
    try:
        if worker.init_error:
            return time.perf_counter() - start, f"init error: {worker.init_error.get('errorMessage')}"
        try:
            result = worker.invoke(event)
            outcome = str(result.get("statusCode", "ok")) if isinstance(result, dict) else "ok"
        except InvocationError as exc:
            outcome = f"error: {exc}"
        return time.perf_counter() - start, outcome
    finally:
        worker.kill()


def time_floor(python: str, services: list[str], env: dict[str, str]) -> float:
    code = (
        f"import sys; sys.path.insert(0, {str(RUNTIME)!r}); import boto3\n"
        f"for name in {services!r}: boto3.client(name)\n"
    )
    start = time.perf_counter()
    subprocess.run([python, "-I", "-S", "-c", code], check=True, env=env)  # noqa: S603
    return time.perf_counter() - start


def time_peer(python: str, peer: Path, event: dict[str, Any], env: dict[str, str]) -> float | None:
    """The Chalice peer: a fresh process imports its app and serves the same first event."""
    code = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(peer.parent)!r}, {str(RUNTIME)!r}, {str(ROOT / '.local' / 'peer-deps')!r}]\n"
        f"from {peer.stem} import app\n"
        "event = json.loads(sys.stdin.read())\n"
        "class Ctx:\n"
        "    function_name = 'peer'; aws_request_id = 'bench'; memory_limit_in_mb = 512\n"
        "    def get_remaining_time_in_millis(self): return 10000\n"
        "app(event, Ctx())\n"
    )
    start = time.perf_counter()
    subprocess.run(  # noqa: S603
        [python, "-I", "-S", "-c", code], input=json.dumps(event), text=True, check=True, env=env
    )
    return time.perf_counter() - start


def measure(stack: Stack, aws_env: dict[str, str], runs: int, log_path: Path) -> dict[str, Any]:
    sources = function_specs(stack, [RUNTIME])
    specs = {lid: artifact_spec(s) for lid, s in sources.items()}
    python = sys.executable
    results: dict[str, Any] = {}
    with log_path.open("w") as sink:
        runner = FunctionRunner(specs, python, aws_env, sink)
        base_env = {**runner.base_env}
        for logical_id, spec in sorted(specs.items()):
            event = first_event(sources[logical_id])
            if event is None or not (BUILD / logical_id).is_dir():
                continue
            services = services_of(stack, logical_id)
            function_times, floor_times, outcomes = [], [], set()
            for _ in range(runs):
                elapsed, outcome = time_cold_function(runner, spec, event)
                function_times.append(elapsed)
                outcomes.add(outcome)
                floor_times.append(time_floor(python, services, base_env))
            peer_path = ROOT / "bench" / "peers" / f"{sources[logical_id].code_dir.name}.py"
            peer_times = None
            if peer_path.exists():
                peer_times = [time_peer(python, peer_path, event, base_env) for _ in range(runs)]
            entry = {
                "function": summary(function_times),
                "floor": summary(floor_times),
                "services": services,
                "first_event_outcome": sorted(outcomes),
                "ratio_to_floor": summary([f / g for f, g in zip(function_times, floor_times, strict=True)]),
            }
            if peer_times:
                entry["peer"] = summary(peer_times)
                entry["ratio_to_peer"] = summary([f / p for f, p in zip(function_times, peer_times, strict=True)])
            results[logical_id] = entry
        runner.shutdown()
    return results
