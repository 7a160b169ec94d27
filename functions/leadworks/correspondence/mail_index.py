"""MailIndexTable: the only module that touches it.

Access patterns (template: MailIndexTable):
    ADDRESS#<normalised email> / <received_at>#<message key>     one archived message under one of
                                                                  its addresses (the same item under each)
    Query pk = ADDRESS#<email>                                    every message with that address, oldest first

Writing the same message twice writes the same items (an S3 event delivered twice is harmless).
"""

from __future__ import annotations

import time
from typing import Any

from clock import iso

from correspondence.models import ArchivedMessage
from correspondence.parsing import ParsedMessage
from portal_common import aws
from portal_common.dynamo import from_item, to_item
from portal_common.settings import Settings, load_settings

BATCH = 25


class MailIndexSettings(Settings):
    mail_index_table: str


def _table() -> str:
    return load_settings(MailIndexSettings).mail_index_table


def _item(address: str, message: ArchivedMessage) -> dict[str, Any]:
    doc = message.model_dump(mode="json")
    doc.update(pk=f"ADDRESS#{address}", sk=f"{iso(message.received_at)}#{message.message_key}", address=address)
    return to_item(doc)


def _message(item: dict[str, Any]) -> ArchivedMessage:
    return ArchivedMessage.model_validate(from_item(item))


def put_message(parsed: ParsedMessage) -> None:
    """The message under every one of its addresses (BatchWriteItem, unprocessed items retried)."""
    requests = [{"PutRequest": {"Item": _item(a, parsed.message)}} for a in sorted(parsed.addresses)]
    ddb = aws.client("dynamodb")
    for start in range(0, len(requests), BATCH):
        pending = {_table(): requests[start : start + BATCH]}
        for attempt in range(8):
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError("DynamoDB kept items of the mail index unprocessed")


def messages_for(address: str) -> list[ArchivedMessage]:
    """Every archived message with this (normalised) address, oldest first; read consistently, so a
    message indexed before this call is in the answer."""
    ddb = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"ADDRESS#{address}"}},
        "ConsistentRead": True,
    }
    found: list[ArchivedMessage] = []
    while True:
        page = ddb.query(**request)
        found += [_message(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
