"""The outbox table's stream as Lambda hands it to a function: INSERT records (NEW_IMAGE view) built
from the outbox items, since moto's in-process DynamoDB Streams API is not routed (the local stack's
server mode is, and the end-to-end tier reads the real stream). With ``for_function``, only the
records that function's template FilterCriteria let through, matched as the local stack matches
them, so the template's filter is what is tested."""

from __future__ import annotations

from typing import Any

import boto3

from local.event_sources import stream_filter
from local.template import Stack


def outbox_stream_event(stack: Stack, for_function: str | None = None, first: int = 100) -> dict[str, Any]:
    arn = stack.attrs["OutboxTable"]["StreamArn"]
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    items.sort(key=lambda item: item["created_at"]["S"])
    records = [
        {
            "eventID": str(n),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": item["pk"]},
                "NewImage": {**item, "status": {"S": "pending"}},
                "SequenceNumber": f"{first + n}",
                "StreamViewType": "NEW_IMAGE",
            },
        }
        for n, item in enumerate(items)
    ]
    if for_function is not None:
        events = stack.resources[for_function]["Properties"]["Events"].values()
        (source,) = [e["Properties"] for e in events if e["Type"] == "DynamoDB"]
        wanted = stream_filter(source.get("FilterCriteria"))
        records = [r for r in records if wanted(r)]
    return {"Records": records}
