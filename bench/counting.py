"""Counting what a request costs in AWS: calls by operation, items read, Scans.

A botocore ``after-call`` handler, installed as a built-in handler so that every session created
while counting has it (the portals' own session in portal_common.aws, and the ones Powertools
Parameters makes), and every client of those sessions. Items read: for Query and Scan the items
DynamoDB examined (``ScannedCount``, what a read costs, filters or not), an item a GetItem found,
the items of BatchGetItem and TransactGetItems answers, and S3 objects read (GetObject) or listed."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any


class AwsCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0

    def after_call(self, parsed: dict[str, Any] | None = None, model: Any = None, **_: Any) -> None:
        service = model.service_model.service_name
        operation = model.name
        self.calls[f"{service}.{operation}"] += 1
        self.items_read += items_read(service, operation, parsed or {})

    @property
    def figures(self) -> dict[str, Any]:
        return {
            "aws_calls": sum(self.calls.values()),
            "items_read": self.items_read,
            "scans": sum(n for name, n in self.calls.items() if name.endswith(".Scan")),
            "calls": dict(sorted(self.calls.items())),
        }


def items_read(service: str, operation: str, parsed: dict[str, Any]) -> int:
    if service == "dynamodb":
        if operation in ("Query", "Scan"):
            return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        if operation == "GetItem":
            return 1 if parsed.get("Item") else 0
        if operation == "BatchGetItem":
            return sum(len(items) for items in (parsed.get("Responses") or {}).values())
        if operation == "TransactGetItems":
            return sum(1 for r in parsed.get("Responses") or [] if r.get("Item"))
    if service == "s3":
        if operation == "GetObject":
            return 1
        if operation == "ListObjectsV2":
            return int(parsed.get("KeyCount", 0))
    return 0


@contextlib.contextmanager
def counting() -> Iterator[AwsCounter]:
    """Count the calls of every client created inside the block."""
    from botocore import handlers

    counter = AwsCounter()
    entry = ("after-call", counter.after_call)
    handlers.BUILTIN_HANDLERS.append(entry)
    try:
        yield counter
    finally:
        handlers.BUILTIN_HANDLERS.remove(entry)
