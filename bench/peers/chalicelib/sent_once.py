"""An email sent once per stream record: claimed (conditional put), sent, then marked sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def send_once(ddb: Any, table: str, key: dict[str, Any], send: Callable[[], Any]) -> bool:
    """False when the record must be delivered again (an AWS call failed); True when the email went
    out now, or had been claimed before."""
    try:
        ddb.put_item(
            TableName=table,
            Item={**key, "status": {"S": "sending"}, "claimed_at": {"N": str(int(time.time()))}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
    try:
        send()
    except ClientError:
        ddb.delete_item(TableName=table, Key=key)
        return False
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #s = :sent",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":sent": {"S": "sent"}},
    )
    return True
