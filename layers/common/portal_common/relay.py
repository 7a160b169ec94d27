"""The outbox relay: each new outbox item goes to the CRM's FIFO queue exactly once.

Once: an item already marked ``relayed`` is skipped (a replayed stream sends nothing), the queue
deduplicates on ``event_id`` (MessageDeduplicationId) for the window between sending and marking,
and the CRM itself keys on ``event_id``. A failed send fails only that record (partial batch
response), so the stream retries it until SQS is back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.observability import logger
from portal_common.settings import Settings, load_settings


class RelaySettings(Settings):
    outbox_table: str
    crm_events_queue_url: str


def _group(event: dict[str, Any]) -> str:
    """FIFO order per subject; SQS wants [A-Za-z0-9!-~]{1,128}."""
    subject = str(event.get("subject") or event.get("portal") or "events")
    return hashlib.sha256(subject.encode()).hexdigest()[:64]


def relay(pk: str, event_json: str) -> bool:
    """Send one outbox event; True if sent now, False if it had been relayed before."""
    settings = load_settings(RelaySettings)
    ddb = aws.client("dynamodb")
    current = ddb.get_item(TableName=settings.outbox_table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    if current is not None and current.get("status", {}).get("S") == "relayed":
        logger.info("already relayed", extra={"outbox_pk": pk})
        return False
    event = json.loads(event_json)
    aws.client("sqs").send_message(
        QueueUrl=settings.crm_events_queue_url,
        MessageBody=event_json,
        MessageGroupId=_group(event),
        MessageDeduplicationId=str(event["event_id"]),
        MessageAttributes={
            "type": {"DataType": "String", "StringValue": str(event.get("type", ""))},
            "portal": {"DataType": "String", "StringValue": str(event.get("portal", ""))},
        },
    )
    try:
        ddb.update_item(
            TableName=settings.outbox_table,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET #s = :relayed, relayed_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":relayed": {"S": "relayed"}, ":now": {"S": datetime.now(UTC).isoformat()}},
        )
    except ClientError as exc:  # the item expired meanwhile: the event was still sent once
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    logger.info("relayed", extra={"event_id": event["event_id"], "event_type": event.get("type")})
    return True
