"""The transactional outbox, as the peers write it: each record change and its CRM event(s) in one
TransactWriteItems; a failed condition becomes the error the caller named for that item."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from chalicelib.errors import PortalError, ServiceUnavailable

SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()


def dynamo(values: dict[str, Any]) -> dict[str, Any]:
    return {k: SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: DESERIALIZER.deserialize(v) for k, v in item.items()}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def crm_event(
    event_type: str, portal: str, actor: dict[str, Any], subject: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "portal": portal,
        "actor": actor,
        "subject": subject,
        "data": data,
        "schema_version": "1.0",
    }


def activity(
    portal: str,
    actor: dict[str, Any],
    action: str,
    subject: str,
    record_type: str | None = None,
    record_id: str | None = None,
) -> dict[str, Any]:
    data = {"action": action, "record_type": record_type, "record_id": record_id}
    return crm_event("activity", portal, actor, subject, data)


def put(table: str, item: dict[str, Any], condition: str | None = None, **expr: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Item": dynamo(item)}
    return {"Put": _expressions(op, condition, **expr)}


def update(
    table: str, key: dict[str, Any], expression: str, condition: str | None = None, **expr: Any
) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Key": dynamo(key), "UpdateExpression": expression}
    return {"Update": _expressions(op, condition, **expr)}


def delete(table: str, key: dict[str, Any], condition: str | None = None, **expr: Any) -> dict[str, Any]:
    return {"Delete": _expressions({"TableName": table, "Key": dynamo(key)}, condition, **expr)}


def check(table: str, key: dict[str, Any], condition: str, **expr: Any) -> dict[str, Any]:
    return {"ConditionCheck": _expressions({"TableName": table, "Key": dynamo(key)}, condition, **expr)}


def _expressions(
    op: dict[str, Any], condition: str | None, names: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    if condition:
        op["ConditionExpression"] = condition
    if names:
        op["ExpressionAttributeNames"] = names
    if values:
        op["ExpressionAttributeValues"] = dynamo(values)
    return op


def event_item(event: dict[str, Any]) -> dict[str, Any]:
    item = {
        "pk": f"EVENT#{event['event_id']}",
        "event": json.dumps(event, separators=(",", ":")),
        "type": event["type"],
        "status": "pending",
        "created_at": event["occurred_at"],
        "expires_at": int(time.time()) + 7 * 24 * 3600,
    }
    return put(os.environ["OUTBOX_TABLE"], item, "attribute_not_exists(pk)")


def commit(
    ddb: Any, items: list[dict[str, Any]], events: list[dict[str, Any]], conflicts: dict[int, PortalError] | None = None
) -> None:
    """One transaction: the items (index -> error for a failed condition) and the events."""
    try:
        ddb.transact_write_items(TransactItems=[*items, *(event_item(e) for e in events)])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        for index, reason in enumerate(exc.response.get("CancellationReasons") or []):
            if reason.get("Code") == "ConditionalCheckFailed" and (conflicts or {}).get(index):
                raise (conflicts or {})[index] from exc
            if reason.get("Code") in ("ThrottlingError", "TransactionConflict"):
                raise ServiceUnavailable("We are busy right now; nothing was saved. Please try again.") from exc
        raise


def emit(ddb: Any, event: dict[str, Any]) -> None:
    commit(ddb, [], [event])
