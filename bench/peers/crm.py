"""The CRM's own functions as one Chalice app, the cold-start peer of functions/crm/: the health
route, and the outbox relay (DynamoDB stream -> the CRM's FIFO queue, each event once)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from chalice import Chalice
from pydantic import BaseModel

app = Chalice(app_name="crm")
DDB = boto3.client("dynamodb")
SQS = boto3.client("sqs")


class Health(BaseModel):
    status: str
    stage: str


@app.route("/crm/health", methods=["GET"])
def health() -> dict[str, Any]:
    return Health(status="ok", stage=os.environ["STAGE"]).model_dump()


def relay(pk: str, event_json: str) -> bool:
    table = os.environ["OUTBOX_TABLE"]
    current = DDB.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    if current is not None and current.get("status", {}).get("S") == "relayed":
        return False
    event = json.loads(event_json)
    subject = str(event.get("subject") or event.get("portal") or "events")
    SQS.send_message(
        QueueUrl=os.environ["CRM_EVENTS_QUEUE_URL"],
        MessageBody=event_json,
        MessageGroupId=hashlib.sha256(subject.encode()).hexdigest()[:64],
        MessageDeduplicationId=str(event["event_id"]),
        MessageAttributes={
            "type": {"DataType": "String", "StringValue": str(event.get("type", ""))},
            "portal": {"DataType": "String", "StringValue": str(event.get("portal", ""))},
        },
    )
    try:
        DDB.update_item(
            TableName=table,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET #s = :relayed, relayed_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":relayed": {"S": "relayed"}, ":now": {"S": datetime.now(UTC).isoformat()}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    return True


@app.on_dynamodb_record(stream_arn=os.environ.get("OUTBOX_STREAM_ARN", "outbox-stream"), batch_size=100)
def relay_outbox(event: Any) -> dict[str, Any]:
    """Each new outbox item to the CRM queue; a failed record is reported back (partial batch)."""
    failures = []
    for record in event:
        image = record.new_image or {}
        if "event" not in image:
            continue
        try:
            relay(image["pk"]["S"], image["event"]["S"])
        except ClientError:
            app.log.exception("relay failed")
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}
