"""Warm overhead per route: time spent inside the handler with every AWS call answered instantly.

Each function's handler is loaded in-process with its template environment (local.inprocess) on an
in-memory moto; it serves its sample event twice (caches warm), the AWS calls of the second serve
are recorded, and then the handler serves the same event ``iterations`` times with botocore
Stubbers answering those calls from the recording, so only our code is timed."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from botocore.stub import Stubber
from moto import mock_aws

from bench.cold import first_event
from bench.stats import percentile
from local.functions import function_specs
from local.inprocess import EnvPatch, LambdaHarness, reset_common_state
from local.provision import Provisioner
from local.template import Stack


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Log lines still get formatted and written (as on Lambda), just not to the terminal."""
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def _record(handler: Any, event: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    from portal_common import aws

    calls: list[tuple[str, str, dict[str, Any]]] = []

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        calls.append((model.service_model.service_name, model.name, body))

    events = aws._session().events
    events.register("after-call.*.*", after_call, unique_id="bench-recorder")
    try:
        handler(event)
    finally:
        events.unregister("after-call.*.*", unique_id="bench-recorder")
    return calls


def measure(iterations: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with mock_aws():
        stack = Stack.from_file()
        Provisioner(stack, endpoint_url=None).create_all()
        specs = function_specs(stack, [])
        for logical_id, spec in sorted(specs.items()):
            event = first_event(spec)
            if event is None or "requestContext" not in event:
                continue  # routes only (stream/queue/S3 handlers have no HTTP route)
            patch = EnvPatch()
            try:
                harness = LambdaHarness(stack, patch)
                with quiet_stdout():
                    handler = harness.handler(logical_id)
                    handler(event)
                    recorded = _record(handler, event)
                    results[logical_id] = _timed(handler, event, recorded, iterations)
            except Exception as exc:  # a route whose calls differ between serves: say so, do not guess
                results[logical_id] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            finally:
                patch.undo()
                reset_common_state()
    return results


def _timed(handler: Any, event: dict[str, Any], recorded: list[Any], iterations: int) -> dict[str, Any]:
    from portal_common import aws

    stubbers: dict[str, Stubber] = {}
    for service, _op, _body in recorded:
        if service not in stubbers:
            client_name = {"dynamodb": "dynamodb"}.get(service, service)
            stubbers[service] = Stubber(aws.client(client_name))
            stubbers[service].activate()
    samples = []
    status = None
    for _ in range(iterations):
        for service, operation, body in recorded:
            stubbers[service].add_response(operation, body)
        start = time.perf_counter_ns()
        answer = handler(event)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        status = answer.get("statusCode") if isinstance(answer, dict) else None
    for stubber in stubbers.values():
        stubber.deactivate()
    return {
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "calls": len(samples),
        "aws_calls_per_request": len(recorded),
        "status": status,
    }
