"""Fixes to moto's behaviour that the local stack depends on (applied in the embedded AWS process).

1. DynamoDB Streams across a cancelled transaction: moto rolls a cancelled TransactWriteItems back by
replacing each table with a copy taken before the transaction. The copy has a new stream shard, so
every open shard iterator (the local relay's) stays on the old shard object: it then delivers the
stream records of the cancelled writes (events that were never committed reach the CRM), and never
sees a later record (nothing reaches the CRM any more). Here the old shard is kept: the cancelled
records are removed from it and it is attached to the restored table, as DynamoDB behaves (a
cancelled transaction leaves no stream record).
2. DynamoDB calls are serialized (see serialize_dynamodb_calls).
"""

from __future__ import annotations

from typing import Any


def keep_streams_through_cancelled_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_keeps_streams", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before: dict[str, tuple[Any, Any, int]] = {}
        for item in transact_items:
            op = next(iter(item.values()), None) or {}
            name = op.get("TableName") if isinstance(op, dict) else None
            table = self.tables.get(name) if name else None
            if table is not None and table.stream_shard is not None and name not in before:
                before[name] = (table, table.stream_shard, len(table.stream_shard.items))
        try:
            original(self, transact_items)
        except Exception:
            for name, (table, shard, count) in before.items():
                restored = self.tables.get(name)
                if restored is not None and restored is not table:  # rolled back to a copy
                    del shard.items[count:]
                    shard.table = restored
                    restored.stream_shard = shard
            raise

    transact_write_items._keeps_streams = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def serialize_dynamodb_calls() -> None:
    """moto's DynamoDB is not thread-safe: a cancelled TransactWriteItems restores a deep copy of each
    table taken before it ran, erasing writes other requests made meanwhile (seen as double charges
    under 20 concurrent payments). One lock around every DynamoDB call gives moto the atomicity
    DynamoDB has. Streams are read through the same handler family, so they see consistent tables."""
    import threading

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_serialized", False):
        return
    lock = threading.RLock()

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    call_action._serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def apply() -> None:
    keep_streams_through_cancelled_transactions()
    serialize_dynamodb_calls()
