"""Warm overhead per route: time spent inside the handler with every AWS call answered instantly.

Inside one in-memory moto (fake credentials and the stack's region, set here for the phase), a small
world of real data is made through the real handlers (bench/world.py). Then, route by route, the
function's handler is loaded in-process with its template environment (local.inprocess) and:

1. serves a warm-up event (caches, templates and clients warm, as in a warm Lambda);
2. serves the route's own event, with every AWS call it makes recorded (client, operation, answer);
   the world is prepared so that this serve takes the route's success path (one-shot routes get a
   second, fresh object: a new lead, another open invoice);
3. serves that same event ``iterations`` times with botocore Stubbers on the very clients that made
   the calls, queued with the recorded answers before each call, so the handler takes the same
   success path every time and only our code (and botocore's client side) is timed.

A route's outbound call to a third party (the card processor's HTTP API) is answered the same way at
the boundary of our HTTP client (``urllib.request.urlopen``); its row says so. Each route stops
after ``budget_seconds`` and reports how many calls it got. Progress goes to stderr."""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import gc
import io
import os
import pickle
import pstats
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from bench.stats import percentile

BUDGET_SECONDS = 60.0
_CLIENT: Any = BaseClient  # patched while a serve is recorded (every client's calls go through it)
_URLLIB: Any = urllib.request
MAX_FAILURES = 5  # iterations that raise before a route is given up


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Log lines still get formatted and written (as on Lambda), just not to the terminal."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


@contextlib.contextmanager
def fake_aws(region: str) -> Iterator[None]:
    """Fake credentials and the stack's region for the phase (moto answers; nothing reaches AWS)."""
    values = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    dropped = ("AWS_PROFILE", "AWS_ENDPOINT_URL")
    saved = {k: os.environ.get(k) for k in (*values, *dropped)}
    os.environ.update(values)
    for key in dropped:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- recording -------------------------------------------------------------------------------------
@dataclass
class AwsCall:
    client: Any
    operation: str  # the API name, e.g. GetItem
    response: dict[str, Any] | None  # a copy of the parsed answer (streams kept as bytes)
    error: dict[str, Any] | None  # a ClientError's response


@dataclass
class HttpCall:
    url: str
    status: int
    body: bytes


@dataclass
class Recording:
    aws: list[AwsCall] = field(default_factory=list)
    http: list[HttpCall] = field(default_factory=list)

    def operations(self) -> list[str]:
        return [f"{c.client.meta.service_model.service_name}.{c.operation}" for c in self.aws]


def _rereadable(response: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the caller gets, what is kept): streamed bodies read once, kept as bytes, handed on fresh."""
    kept = {}
    for key, value in response.items():
        if isinstance(value, StreamingBody):
            data = value.read()
            response[key] = StreamingBody(io.BytesIO(data), len(data))
            kept[key] = data
    snapshot = copy.deepcopy({k: v for k, v in response.items() if k not in kept})
    snapshot.update(kept)
    return response, snapshot


class _HttpAnswer(io.BytesIO):
    """What ``urllib.request.urlopen`` hands our HTTP client: status, read(), a context manager."""

    def __init__(self, url: str, status: int, body: bytes):
        super().__init__(body)
        self.url = url
        self.status = status

    def getcode(self) -> int:
        return self.status


@contextlib.contextmanager
def recording() -> Iterator[Recording]:
    """Every AWS call (any client: ours, Powertools') and every urlopen of one serve, with its answer."""
    found = Recording()
    make_api_call = _CLIENT._make_api_call
    urlopen = _URLLIB.urlopen

    def recorded_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        try:
            response = make_api_call(client, operation_name, api_params)
        except ClientError as exc:
            found.aws.append(AwsCall(client, operation_name, None, copy.deepcopy(dict(exc.response))))
            raise
        response, kept = _rereadable(response)
        found.aws.append(AwsCall(client, operation_name, kept, None))
        return response

    def recorded_urlopen(request: Any, *args: Any, **kwargs: Any) -> Any:
        url = request.full_url if isinstance(request, urllib.request.Request) else str(request)
        try:
            with urlopen(request, *args, **kwargs) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        found.http.append(HttpCall(url, status, body))
        return _replayed_http(HttpCall(url, status, body))

    _CLIENT._make_api_call = recorded_call
    _URLLIB.urlopen = recorded_urlopen
    try:
        yield found
    finally:
        _CLIENT._make_api_call = make_api_call
        _URLLIB.urlopen = urlopen


def _replayed_http(call: HttpCall) -> Any:
    if call.status >= 400:
        raise urllib.error.HTTPError(call.url, call.status, "recorded", {}, io.BytesIO(call.body))  # type: ignore[arg-type]
    return _HttpAnswer(call.url, call.status, call.body)


# -- replaying -------------------------------------------------------------------------------------
class Replay:
    """Stubbers on the clients that made the recorded calls, refilled before each serve.

    The first refill goes through the Stubber's public API, which checks every recorded answer
    against the service model; later refills queue the same entries with fresh copies of the
    answers (unpickled: far cheaper than deepcopy, so the loop spends its time in the handler)."""

    def __init__(self, recorded: Recording):
        self.recorded = recorded
        self.stubbers: dict[int, Stubber] = {}
        self.methods: dict[int, dict[str, str]] = {}
        for call in recorded.aws:
            key = id(call.client)
            if key not in self.stubbers:
                self.stubbers[key] = Stubber(call.client)
                self.methods[key] = {api: method for method, api in call.client.meta.method_to_api_mapping.items()}
        self.entries: list[tuple[Stubber, dict[str, Any], bytes]] = []
        self.http_queue: list[HttpCall] = []
        self._urlopen = _URLLIB.urlopen

    def __enter__(self) -> Replay:
        for stubber in self.stubbers.values():
            stubber.activate()
        if self.recorded.http:
            _URLLIB.urlopen = self._answer_http
        return self

    def __exit__(self, *_: Any) -> None:
        for stubber in self.stubbers.values():
            stubber.deactivate()
        _URLLIB.urlopen = self._urlopen

    def _answer_http(self, request: Any, *_: Any, **__: Any) -> Any:
        if not self.http_queue:
            raise AssertionError(f"unrecorded HTTP call: {getattr(request, 'full_url', request)}")
        return _replayed_http(self.http_queue.pop(0))

    def refill(self) -> None:
        self.http_queue = list(self.recorded.http)
        if self.entries:
            for stubber, entry, blob in self.entries:
                http_response, _parsed = entry["response"]
                _queue(stubber).append({**entry, "response": (http_response, _unpickled(blob))})
            return
        for call in self.recorded.aws:
            key = id(call.client)
            stubber, method = self.stubbers[key], self.methods[key][call.operation]
            if call.error is None:
                stubber.add_response(method, _unpickled(_pickled(call.response or {})))
            else:
                error = dict(call.error.get("Error") or {})
                code, message = str(error.pop("Code", "")), str(error.pop("Message", ""))
                status = int((call.error.get("ResponseMetadata") or {}).get("HTTPStatusCode", 400))
                modeled = {k: v for k, v in call.error.items() if k not in ("Error", "ResponseMetadata")}
                stubber.add_client_error(
                    method, code, message, status, service_error_meta=error or None, modeled_fields=modeled or None
                )
            entry = _queue(stubber)[-1]
            self.entries.append((stubber, entry, _pickled(entry["response"][1])))

    def leftovers(self) -> int:
        """Answers queued but not asked for (the serve took another path); cleared."""
        left = len(self.http_queue)
        for stubber in self.stubbers.values():
            left += len(_queue(stubber))
            _queue(stubber).clear()
        self.http_queue = []
        return left


def _queue(stubber: Stubber) -> Any:
    """The Stubber's queue of answers: botocore has no public way to queue a checked answer again, or
    to see what is left."""
    return stubber._queue  # type: ignore[attr-defined]


def _pickled(response: dict[str, Any]) -> bytes:
    """An answer as bytes; streamed bodies (kept as bytes) are marked to come back as fresh streams."""
    streams = {k for k, v in response.items() if isinstance(v, bytes)}
    return pickle.dumps((response, streams), protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(blob: bytes) -> dict[str, Any]:
    response, streams = pickle.loads(blob)  # noqa: S301 - our own bytes, made a moment ago
    for key in streams:
        response[key] = StreamingBody(io.BytesIO(response[key]), len(response[key]))
    return dict(response)


# -- one route ---------------------------------------------------------------------------------------
def outcome(answer: Any) -> int | str:
    """What a serve answered: the HTTP status, or for authorizers and event handlers a short word."""
    if isinstance(answer, dict):
        if "statusCode" in answer:
            return int(answer["statusCode"])
        if "isAuthorized" in answer:
            return "allow" if answer["isAuthorized"] else "deny"
        if answer.get("batchItemFailures"):
            return "failures"
    return "ok"


def _timed(
    handler: Any, event: dict[str, Any], recorded: Recording, iterations: int, budget: float, profiler: Any = None
) -> dict[str, Any]:
    samples: list[float] = []
    cpu: list[float] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    differed = 0
    deadline = time.monotonic() + budget
    # the benchmark's own heap (moto's state, the world, every function's modules) is not a Lambda's:
    # frozen, it is left out of the garbage collections that happen during the measured calls
    gc.freeze()
    with contextlib.ExitStack() as stack:
        stack.callback(gc.unfreeze)
        replay = stack.enter_context(Replay(recorded))
        for _ in range(iterations):
            if time.monotonic() > deadline:
                break
            replay.refill()
            if profiler is not None:
                profiler.enable()
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            try:
                answer = handler(event)
            except Exception as exc:  # reported in the row, the phase goes on
                if profiler is not None:
                    profiler.disable()
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                if len(failures) >= MAX_FAILURES:
                    break
                replay.leftovers()
                continue
            samples.append((time.perf_counter_ns() - start) / 1e6)
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            if profiler is not None:
                profiler.disable()
            key = str(outcome(answer))
            statuses[key] = statuses.get(key, 0) + 1
            differed += 1 if replay.leftovers() else 0
    row: dict[str, Any] = {
        "calls": len(samples),
        "replayed_status": max(statuses, key=lambda k: statuses[k]) if statuses else None,
        "statuses": statuses,
        "calls_with_other_aws_calls": differed,
    }
    if samples:
        row.update(
            p50_ms=percentile(samples, 50),
            p99_ms=percentile(samples, 99),
            min_ms=min(samples),
            max_ms=max(samples),
            cpu_p50_ms=percentile(cpu, 50),
            cpu_p99_ms=percentile(cpu, 99),
        )
    if failures:
        row["failures"] = failures[:3]
    if len(samples) < iterations and not failures:
        row["stopped_early"] = f"time budget of {budget:.0f} s reached after {len(samples)} calls"
    return row


def measure_route(world: Any, route: Any, iterations: int, budget: float, profile: int = 0) -> dict[str, Any]:
    row: dict[str, Any] = {
        "function": route.function,
        "kind": route.kind,
        "success": route.success,
        "note": route.note,
    }
    patch = world.env_patch()
    try:
        handler = world.harness(patch).handler(route.function)
        warm_event, event = route.events()
        with quiet_stdout():
            handler(warm_event)
            with recording() as recorded:
                answer = handler(event)
            row["status"] = outcome(answer)
            row["aws_calls_per_request"] = len(recorded.aws)
            row["aws_operations"] = recorded.operations()
            if recorded.http:
                row["http_calls_stubbed"] = len(recorded.http)
            profiler = cProfile.Profile() if profile else None
            row.update(_timed(handler, event, recorded, iterations, budget, profiler))
        if profiler is not None:
            sys.stderr.write(f"\n-- profile of {route.name} ({row['calls']} calls), by own time --\n")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(profile)
    except Exception as exc:  # a route that cannot be measured says why
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        patch.undo()
        world.forget_state()
    status = row.get("status")
    replayed = row.get("replayed_status")
    row["ok"] = (
        "error" not in row
        and str(status) == str(route.success)
        and str(replayed) == str(route.success)
        and not row.get("failures")
        and not row.get("calls_with_other_aws_calls")
    )
    return row


def _progress(name: str, row: dict[str, Any], seconds: float) -> None:
    if "error" in row:
        line = f"warm  {name:<62} ERROR {row['error'][:120]}"
    else:
        flag = "" if row["ok"] else f"  <- expected {row['success']}"
        line = (
            f"warm  {name:<62} {row.get('status')!s:>5} p50 {row.get('p50_ms', float('nan')):7.3f} ms"
            f"  p99 {row.get('p99_ms', float('nan')):7.3f} ms  cpu p50 {row.get('cpu_p50_ms', float('nan')):7.3f} ms"
            f"  aws {row.get('aws_calls_per_request')}"
            f"  n={row.get('calls')}  {seconds:5.1f} s{flag}"
        )
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def measure(
    iterations: int, budget_seconds: float = BUDGET_SECONDS, only: str | None = None, profile: int = 0
) -> dict[str, Any]:
    """Rows by route name. ``only``: just the routes whose name or function contains it; ``profile``:
    print that many lines of a cProfile of each route's measured calls to stderr."""
    from moto import mock_aws

    from bench.world import World
    from local.template import Stack

    started = time.monotonic()
    results: dict[str, Any] = {}
    region = Stack.from_file().region
    with fake_aws(region), mock_aws(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        with World.built() as world:
            sys.stderr.write(f"warm  world of real data built in {time.monotonic() - started:.1f} s\n")
            for route in world.routes(only):
                route_started = time.monotonic()
                row = measure_route(world, route, iterations, budget_seconds, profile)
                row["seconds"] = round(time.monotonic() - route_started, 2)
                results[route.name] = row
                _progress(route.name, row, row["seconds"])
    sys.stderr.write(f"warm  {len(results)} routes in {time.monotonic() - started:.0f} s\n")
    return results


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.warm``: the warm phase alone (rows as JSON on stdout), optionally profiled."""
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.warm")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="seconds per route at most")
    parser.add_argument("--only", help="routes whose name or function contains this (a|b: either)")
    parser.add_argument("--profile", type=int, default=0, metavar="LINES", help="cProfile each route")
    args = parser.parse_args(argv)
    rows = measure(args.iterations, args.budget, args.only, args.profile)
    sys.stdout.write(json.dumps(rows, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
