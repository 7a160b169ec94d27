"""Cold init per function: a fresh process imports the handler from the `make build` artifact (with
its hash-based .pyc) and serves its first event (from events/) against the embedded AWS.

Beside it, in the same run, interleaved run by run: the floor (a process that only imports boto3 and
creates the clients the function needs, from its template policies) and the peer (the same action in
the portal's Chalice app, bench/peers/<portal>.py, serving the same event converted to the REST API's
payload v1 before the clock starts). Each is timed from its start to its first answer (its exit is
not counted), in wall-clock time and in the process's own CPU time."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.peers._events import as_aws_sends_it, is_http_event, v2_to_v1
from bench.stats import summary
from local.functions import FunctionRunner, FunctionSpec, InvocationError, function_specs
from local.template import ROOT, Stack

BUILD = ROOT / ".aws-sam" / "bench-build"  # bench/build.py: `make build`'s recipe for this machine
RUNTIME = ROOT / ".local" / "runtime"
EVENTS = ROOT / "events"
PEERS = ROOT / "bench" / "peers"
PEER_DEPS = ROOT / ".local" / "peer-deps"  # bench/build.py install_peer_deps

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


def first_event(spec: FunctionSpec, stack: Stack | None = None) -> dict[str, Any] | None:
    """The function's sample event (events/<portal>/<module>*.json). The samples of S3 notifications
    name a made-up bucket, as SAM's generated events do; given the stack, the event names the bucket
    the template has notify this function, as S3 itself would."""
    portal = spec.code_dir.name
    module = spec.handler.split(".")[0]
    candidates = sorted((EVENTS / portal).glob(f"{module}*.json"))
    if not candidates:
        return None
    event: dict[str, Any] = json.loads(candidates[0].read_text())
    if stack is None:
        return event
    sources = (stack.resources[spec.logical_id]["Properties"].get("Events") or {}).values()
    buckets = [stack.resolve(source["Properties"]["Bucket"]) for source in sources if source.get("Type") == "S3"]
    for record in event.get("Records") or []:
        if buckets and record.get("eventSource") == "aws:s3":
            record["s3"]["bucket"]["name"] = buckets[0]
            record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{buckets[0]}"
    return event


def artifact_spec(spec: FunctionSpec) -> FunctionSpec:
    return dataclasses.replace(
        spec,
        code_dir=BUILD / spec.logical_id,
        layer_dirs=[BUILD / "CommonLayer" / "python", RUNTIME],
    )


@dataclasses.dataclass(frozen=True)
class Timing:
    """One cold start: wall-clock time to the first answer, and the process's own CPU time by then
    (steadier than wall time on a shared machine: it leaves out waiting for the CPU and for AWS)."""

    wall: float
    cpu: float
    outcome: str


def cpu_seconds(pid: int) -> float:
    """CPU time a live process has used so far (Linux: /proc/<pid>/schedstat, nanoseconds)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def time_cold_function(runner: FunctionRunner, spec: FunctionSpec, event: dict[str, Any]) -> Timing:
    start = time.perf_counter()
    worker = runner.spawn(spec)
    try:
        if worker.init_error:
            outcome = f"init error: {worker.init_error.get('errorMessage')}"
            return Timing(time.perf_counter() - start, cpu_seconds(worker.proc.pid), outcome)
        try:
            result = worker.invoke(event)
            outcome = str(result.get("statusCode", "ok")) if isinstance(result, dict) else "ok"
        except InvocationError as exc:
            outcome = f"error: {exc}"
        return Timing(time.perf_counter() - start, cpu_seconds(worker.proc.pid), outcome)
    finally:
        worker.kill()


# The same interpreter flags as the function's worker (local/functions.py): isolated, no site.
_FLAGS = ["-I", "-S", "-X", "frozen_modules=on"]
_ANSWER = "__bench_answer__ "
# After its answer a timed process waits for the end of its input, so that its CPU time can be read.
_WAIT = "sys.stdin.read()\n"


def _time_until_answer(code: str, env: dict[str, str], first_line: str = "", cwd: Path | None = None) -> Timing:
    """Start a fresh interpreter running ``code`` and time it until it prints its answer line, as a
    function's cold start is timed until its first answer (the process's exit is not counted).
    A process that fails, or never answers, fails the benchmark with its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, *_FLAGS, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(first_line + "\n")
    proc.stdin.flush()
    output, answer, wall, cpu = [], None, 0.0, 0.0
    for line in proc.stdout:
        if answer is None and line.startswith(_ANSWER):
            wall = time.perf_counter() - start
            cpu = cpu_seconds(proc.pid)
            answer = line.removeprefix(_ANSWER).strip()
            proc.stdin.close()
        else:
            output.append(line)
    if proc.wait() != 0 or answer is None:
        raise RuntimeError(f"benchmark process failed (exit {proc.returncode}):\n{''.join(output)[-4000:]}")
    return Timing(wall, cpu, answer)


def time_floor(services: list[str], env: dict[str, str]) -> Timing:
    code = (
        f"import sys; sys.path.insert(0, {str(RUNTIME)!r}); import boto3\n"
        f"for name in {services!r}: boto3.client(name)\n"
        f"print({_ANSWER!r}, flush=True)\n" + _WAIT
    )
    return _time_until_answer(code, env)


# What every function imports by the conventions (CONVENTIONS.md), with none of our code: Powertools'
# Logger, Tracer and Metrics, its event handler with request validation, and pydantic with a model.
# (Jinja2 is left out: only page functions load it, on their first render.)
REQUIRED_LIBRARIES = (
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "Logger(); Tracer(); Metrics()\n"
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
    "import pydantic\n"
    "class Model(pydantic.BaseModel):\n"
    "    name: str\n"
    "APIGatewayHttpResolver(enable_validation=True)\n"
)
REFERENCE_SERVICES = ["dynamodb"]


def time_libraries(services: list[str], paths: list[str], env: dict[str, str]) -> Timing:
    """A function's process (its import path and environment) that only creates the floor's clients,
    as the functions do (portal_common.aws: from a botocore session, without importing boto3), and
    imports the required libraries."""
    code = (
        f"import sys; sys.path[:0] = {paths!r}; import botocore.session\n"
        "session = botocore.session.get_session()\n"
        f"for name in {services!r}: session.create_client(name)\n"
        + REQUIRED_LIBRARIES
        + f"print({_ANSWER!r}, flush=True)\n"
        + _WAIT
    )
    return _time_until_answer(code, env)


def measure_libraries(spec: FunctionSpec, env: dict[str, str], runs: int) -> dict[str, Any]:
    """The least a function can cost under the goal's measure: the required libraries beside a
    DynamoDB client, in a function's environment, against the floor of that client alone (made with
    boto3, as the floor is), interleaved run by run."""
    paths = [str(path) for path in spec.layer_dirs]
    libraries: list[Timing] = []
    floors: list[Timing] = []
    for _ in range(runs):
        libraries.append(time_libraries(REFERENCE_SERVICES, paths, env))
        floors.append(time_floor(REFERENCE_SERVICES, env))
    return {
        "services": REFERENCE_SERVICES,
        "environment_of": spec.logical_id,
        "imports": REQUIRED_LIBRARIES,
        **figures(libraries, floors, "floor"),
    }


def lambda_environment(base_env: dict[str, str], spec: FunctionSpec, task_root: Path) -> dict[str, str]:
    """What the function's worker gets (local/functions.py): the base, its template environment and
    the variables Lambda sets. The peer gets the same, so it talks to the same tables."""
    return {
        **base_env,
        **spec.environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(task_root),
    }


def time_peer(peer: Path, entry: str, event: dict[str, Any], env: dict[str, str]) -> Timing:
    """The Chalice peer: a fresh process imports its app module and serves the same first event,
    through ``app`` (API Gateway events, converted to payload v1 by the caller, outside the timed
    region) or the module's handler named ``entry`` (authorizer, S3, SQS, stream, schedule events).
    An error while serving is its outcome (as a function's invocation error is); one at import fails."""
    code = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(peer.parent)!r}, {str(PEER_DEPS)!r}, {str(RUNTIME)!r}]\n"
        f"import {peer.stem} as peer\n"
        "event = json.loads(sys.stdin.readline())\n"
        "class Ctx:\n"
        "    function_name = 'peer'; function_version = '$LATEST'; aws_request_id = 'bench'\n"
        "    memory_limit_in_mb = 512; log_group_name = '/aws/lambda/peer'; log_stream_name = 'bench'\n"
        "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:peer'\n"
        "    def get_remaining_time_in_millis(self): return 10000\n"
        "try:\n"
        f"    result = getattr(peer, {entry!r})(event, Ctx())\n"
        "    status = result.get('statusCode', 'ok') if isinstance(result, dict) else 'ok'\n"
        "except Exception as exc:  # an invocation error, reported as the function's are\n"
        "    status = f'error: {exc}'\n"
        f"print({_ANSWER!r} + str(status), flush=True)\n" + _WAIT
    )
    return _time_until_answer(code, env, json.dumps(event), cwd=peer.parent)


def peer_call(spec: FunctionSpec, event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """How the peer serves this function's first event: an HTTP event goes to the Chalice app (as
    payload v1, the REST API shape Chalice serves); any other event to the peer's handler named after
    our handler module (Chalice's idiom: one module, one Lambda entry point per event source)."""
    if is_http_event(event):
        return "app", v2_to_v1(event)
    return spec.handler.split(".")[0], as_aws_sends_it(event)


def figures(function: list[Timing], other: list[Timing], name: str) -> dict[str, Any]:
    """The function's and the other's times (wall and CPU), and the function's ratios to it, run by run."""
    pairs = list(zip(function, other, strict=True))
    return {
        "function": summary([f.wall for f in function]),
        "function_cpu": summary([f.cpu for f in function]),
        name: summary([o.wall for o in other]),
        f"{name}_cpu": summary([o.cpu for o in other]),
        f"ratio_to_{name}": summary([f.wall / o.wall for f, o in pairs]),
        f"cpu_ratio_to_{name}": summary([f.cpu / o.cpu for f, o in pairs]),
    }


def measure(
    stack: Stack,
    aws_env: dict[str, str],
    runs: int,
    log_path: Path,
    only: list[str] | None = None,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every function's figures; ``reference`` (when given) gets measure_libraries' in the first
    measured function's environment."""
    sources = function_specs(stack, [RUNTIME])
    specs = {lid: artifact_spec(s) for lid, s in sources.items()}
    python = sys.executable
    results: dict[str, Any] = {}
    with log_path.open("w") as sink:
        runner = FunctionRunner(specs, python, aws_env, sink)
        base_env = {**runner.base_env}
        for logical_id, spec in sorted(specs.items()):
            if only and not any(part in logical_id for part in only):
                continue
            event = first_event(sources[logical_id], stack)
            if event is None or not (BUILD / logical_id).is_dir():
                continue
            services = services_of(stack, logical_id)
            peer_path = PEERS / f"{sources[logical_id].code_dir.name}.py"
            peer_entry, peer_event = peer_call(spec, event) if peer_path.exists() else ("", {})
            peer_env = lambda_environment(base_env, sources[logical_id], PEERS)
            runs_of: dict[str, list[Timing]] = {"function": [], "floor": [], "peer": []}
            for _ in range(runs):  # interleaved: the three see the same machine load
                runs_of["function"].append(time_cold_function(runner, spec, event))
                runs_of["floor"].append(time_floor(services, base_env))
                if peer_entry:
                    runs_of["peer"].append(time_peer(peer_path, peer_entry, peer_event, peer_env))
            entry = {"services": services, **figures(runs_of["function"], runs_of["floor"], "floor")}
            entry["first_event_outcome"] = sorted({t.outcome for t in runs_of["function"]})
            if runs_of["peer"]:
                entry.update(figures(runs_of["function"], runs_of["peer"], "peer"))
                entry["peer_outcome"] = sorted({t.outcome for t in runs_of["peer"]})
                if entry["peer_outcome"] != entry["first_event_outcome"]:
                    sys.stderr.write(
                        f"warning: {logical_id}: the peer answered {entry['peer_outcome']}, "
                        f"the function {entry['first_event_outcome']}\n"
                    )
            results[logical_id] = entry
        if reference is not None and results:
            first = min(results)
            env = lambda_environment(base_env, sources[first], specs[first].code_dir)
            reference.update(measure_libraries(specs[first], env, 2 * runs))
        runner.shutdown()
    return results
