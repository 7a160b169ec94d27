"""An email sent once per event by an outbox-stream consumer, which may see the event more than once.

The stream delivers a record again until its handler succeeds, and may deliver it twice anyway. An
email cannot be taken back, so each one has a claim item in the portal's own table:

    <key>  status=sending, claimed_at   written (conditionally) before the email is sent
    <key>  status=sent, sent_at, message_id   after

- no claim yet, or a claim older than ``stale_after`` seconds (its sender stopped, perhaps before
  mailing) -> claimed: send now;
- sent -> nothing to do;
- a fresh claim of another delivery -> ``SendInProgress``: the record fails, so the stream delivers
  it again later, when that delivery has finished or its claim has gone stale.

A send that fails releases its claim and fails the record (delivered again). A sent email that cannot
be marked sent is logged and the record succeeds: failing it would send the email again once the claim
is stale. That, a failure to mark it sent followed by a redelivery after ``stale_after``, is the one
way to a second email; no way loses one.

    message_id = send_once(table, {"pk": {"S": ...}, "sk": {"S": ...}}, send, stale_after=120, what=...)

Used by the payments receipt mailer and the Info site's quote alert mailer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.observability import logger

Claim = Literal["claimed", "sent", "sending"]


class SendInProgress(Exception):
    """Another delivery of the same event claimed the email and has not finished: try again later."""


def _failed_condition(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def claim(table: str, key: dict[str, Any], now: datetime, stale_after: int) -> Claim:
    """Claim the sending: ``claimed`` (send it now), ``sent`` (it went out before) or ``sending``
    (another delivery claimed it less than ``stale_after`` seconds ago; an older claim is taken over)."""
    ddb = aws.client("dynamodb")
    try:
        ddb.put_item(
            TableName=table,
            Item={**key, "status": {"S": "sending"}, "claimed_at": {"N": str(int(now.timestamp()))}},
            ConditionExpression="attribute_not_exists(#s) OR (#s = :sending AND claimed_at < :stale)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":sending": {"S": "sending"},
                ":stale": {"N": str(int(now.timestamp() - stale_after))},
            },
        )
    except ClientError as exc:
        if not _failed_condition(exc):
            raise
        item = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
        return "sent" if item.get("status", {}).get("S") == "sent" else "sending"
    return "claimed"


def release(table: str, key: dict[str, Any]) -> None:
    """The send failed: forget the claim, so the next delivery of the event sends it."""
    try:
        aws.client("dynamodb").delete_item(
            TableName=table,
            Key=key,
            ConditionExpression="#s = :sending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sending": {"S": "sending"}},
        )
    except ClientError as exc:
        if not _failed_condition(exc):
            raise


def confirm(table: str, key: dict[str, Any], message_id: str | None, now: datetime) -> None:
    aws.client("dynamodb").update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #s = :sent, sent_at = :now, message_id = :id REMOVE claimed_at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":sent": {"S": "sent"},
            ":now": {"S": now.astimezone(UTC).isoformat()},
            ":id": {"S": message_id or ""},
        },
    )


def send_once(
    table: str, key: dict[str, Any], send: Callable[[], str | None], *, stale_after: int, what: str
) -> str | None:
    """Run ``send`` (which emails, returning the message id) unless this email was sent or is being
    sent; returns the message id, or None when there was nothing (more) to send. ``what`` names the
    email in logs and errors (e.g. "the receipt email of INV-1001")."""
    now = datetime.now(UTC)
    claimed = claim(table, key, now, stale_after)
    if claimed == "sent":
        logger.info("email already sent", extra={"email": what})
        return None
    if claimed == "sending":  # fail the record: the stream delivers it again, and the claim ends
        raise SendInProgress(f"{what} is being sent by another delivery")
    try:
        message_id = send()
    except Exception:
        try:
            release(table, key)
        except Exception:  # the claim stays: it is taken over once stale
            logger.exception("email claim not released", extra={"email": what})
        raise
    try:
        confirm(table, key, message_id, now)
    except Exception:  # the email went out: failing the record would send it again once the claim is stale
        logger.exception("email sent but not marked sent", extra={"email": what})
    return message_id
