"""Fixes to moto's behaviour that the local stack depends on (applied in the embedded AWS process).

1. DynamoDB Streams across a cancelled transaction: moto rolls a cancelled TransactWriteItems back by
replacing each table with a copy taken before the transaction. The copy has a new stream shard, so
every open shard iterator (the local relay's) stays on the old shard object: it then delivers the
stream records of the cancelled writes (events that were never committed reach the CRM), and never
sees a later record (nothing reaches the CRM any more). Here the old shard is kept: the cancelled
records are removed from it and it is attached to the restored table, as DynamoDB behaves (a
cancelled transaction leaves no stream record).
2. DynamoDB calls are serialized (see serialize_dynamodb_calls).
3. TransactWriteItems checks every condition first and then writes, without table copies
   (see check_then_write_transactions).
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


def check_then_write_transactions() -> None:
    """TransactWriteItems as DynamoDB runs it: every condition is evaluated against the state before
    the transaction, and the writes happen only if all hold — no table copies. moto's own version
    deep-copies each touched table once per item (with its stream records) so that it can roll back:
    O(items x table size) per transaction — a 99-item transaction took ~7 s on a seeded local stack,
    during which serialize_dynamodb_calls() holds every other DynamoDB call. Relies on that lock for
    isolation (nothing else runs between the checks and the writes)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_checks_first", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        seen: set[tuple[str, str]] = set()
        reasons: list[tuple[Any, Any, Any]] = []
        ops: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for entry in transact_items:
            if len(entry) != 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            marker = (op["TableName"], str(dict(sorted(key.items()))))
            if marker in seen:
                raise MultipleTransactionsException()
            seen.add(marker)
            ops.append((op_type, op, key))
            current = self.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            if condition is not None and not get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                reasons.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
            else:
                reasons.append((None, None, None))
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)  # nothing was written
        for op_type, op, key in ops:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(
                    op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values
                )
            elif op_type == "Delete":
                self.delete_item(
                    op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values
                )
            elif op_type == "Update":
                self.update_item(
                    op["TableName"],
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )

    transact_write_items._checks_first = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def apply() -> None:
    check_then_write_transactions()
    keep_streams_through_cancelled_transactions()
    serialize_dynamodb_calls()
