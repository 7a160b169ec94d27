"""JSON secrets from Secrets Manager, cached per process for a while.

    doc = json_secret(arn, max_age=300)   # at most one GetSecretValue per arn per 300 s

A failed read raises what the client raised (ClientError, BotoCoreError): the error handlers answer
a throttled or unreachable Secrets Manager with a 503 and anything else with a 500, and nothing is
cached, so the next request asks again. A secret that is not a JSON object is a deployment error
(SecretError).

Why not Powertools Parameters (which this replaces): it imports ``boto3`` and its AppConfig, SSM and
DynamoDB providers, about 20 ms of the cold start of every function that signs or checks a token,
for one call and a cache (``make bench``).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from portal_common import aws

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class SecretError(RuntimeError):
    """The secret's value is not a JSON object."""


def json_secret(arn: str, max_age: float) -> dict[str, Any]:
    """The secret's current value, read again once it is ``max_age`` seconds old."""
    with _lock:
        hit = _cache.get(arn)
    if hit is not None and time.monotonic() - hit[0] < max_age:
        return hit[1]
    answer = aws.client("secretsmanager").get_secret_value(SecretId=arn)
    try:
        value = json.loads(answer["SecretString"])
    except (KeyError, ValueError):
        raise SecretError("the secret's value is not JSON text") from None
    if not isinstance(value, dict):
        raise SecretError("the secret's value is not a JSON object")
    with _lock:
        _cache[arn] = (time.monotonic(), value)
    return value


def clear_cache() -> None:
    """Forget every cached secret (tests that rotate or replace one)."""
    with _lock:
        _cache.clear()
