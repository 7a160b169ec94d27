"""Sign-in sessions: the server side of the ``__Host-<portal>-session`` cookie.

SessionsTable (template.yaml), access patterns:
    pk = SESSION#<session id>      get one session (the authorizer, every request, consistent read)
    GSI ByUser: user_sub           every session of one user (ended when the account is disabled)
``expires_at`` (epoch seconds) is the table's TTL: the session's absolute end. ``last_seen`` is
moved forward by the authorizer at most once a minute (idle timeout to the minute, not a write per
request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from portal_common import aws
from portal_common.dynamo import from_item, to_item
from portal_common.errors import Conflict
from portal_common.events import Portal

if TYPE_CHECKING:  # the authorizer reads sessions but writes no outbox: it does not import it
    from portal_common.outbox import Transaction

TOUCH_EVERY_SECONDS = 60
BY_USER_INDEX = "ByUser"


class SessionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    portal: Portal
    user_sub: str
    subject_id: str
    email: str
    created_at: int
    last_seen: int
    expires_at: int


def end_reason(record: SessionRecord, now: int, idle_seconds: int, max_seconds: int) -> str | None:
    """Why the session is over at ``now`` (None while it is alive)."""
    if now >= record.expires_at or now - record.created_at >= max_seconds:
        return "lifetime"
    if now - record.last_seen >= idle_seconds:
        return "idle"
    return None


def needs_touch(record: SessionRecord, now: int) -> bool:
    return now - record.last_seen >= TOUCH_EVERY_SECONDS


def _key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}"}


class SessionStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def add(self, tx: Transaction, record: SessionRecord) -> None:
        tx.put(
            self.table,
            {**_key(record.session_id), **record.model_dump()},
            unique="pk",
            on_conflict=Conflict("This sign-in has already been used. Please sign in again."),
        )

    def remove(self, tx: Transaction, session_id: str) -> None:
        tx.delete(self.table, _key(session_id))

    def get(self, session_id: str) -> SessionRecord | None:
        item = (
            aws.client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(_key(session_id)),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if not item:
            return None
        doc: dict[str, Any] = from_item(item)
        return SessionRecord.model_validate(
            {**doc, **{k: int(doc[k]) for k in ("created_at", "last_seen", "expires_at") if k in doc}}
        )

    def touch(self, session_id: str, now: int) -> None:
        """last_seen = now, unless the session was deleted meanwhile (a sign-out is never undone)."""
        try:
            aws.client("dynamodb").update_item(
                TableName=self.table,
                Key=to_item(_key(session_id)),
                UpdateExpression="SET last_seen = :now",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def remove_all_of_user(self, user_sub: str) -> int:
        """Delete every session of one user; returns how many there were."""
        ddb = aws.client("dynamodb")
        removed = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": BY_USER_INDEX,
            "KeyConditionExpression": "user_sub = :sub",
            "ExpressionAttributeValues": {":sub": {"S": user_sub}},
        }
        while True:
            page = ddb.query(**kwargs)
            for item in page.get("Items", []):
                ddb.delete_item(TableName=self.table, Key={"pk": item["pk"]})
                removed += 1
            if "LastEvaluatedKey" not in page:
                return removed
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
