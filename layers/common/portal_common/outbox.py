"""The transactional outbox: no committed record without its event, no event without its record.

    with Transaction() as tx:                       # one TransactWriteItems on commit
        tx.put(table, item, unique="pk", on_conflict=LeadAlreadyExists("..."))
        tx.event(CrmEvent(...))

Outbox table (template: OutboxTable): pk=EVENT#<event_id>, ``event`` (the JSON envelope),
``status`` pending -> relayed, ``expires_at`` (TTL, 7 days). Its stream (INSERTs only) feeds the
relay. A cancelled transaction whose reason is a failed condition becomes the typed exception the
caller named for that item; throttling and conflicts become ServiceUnavailable (retryable).
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.dynamo import to_item
from portal_common.errors import PortalError, ServiceUnavailable
from portal_common.events import Actor, CrmEvent, Portal, activity_event
from portal_common.settings import Settings, load_settings

RETENTION_SECONDS = 7 * 24 * 3600


class OutboxSettings(Settings):
    outbox_table: str


def outbox_item(event: CrmEvent) -> dict[str, Any]:
    return {
        "pk": f"EVENT#{event.event_id}",
        "event": event.model_dump_json(),
        "type": event.type,
        "status": "pending",
        "created_at": event.occurred_at.isoformat(),
        "expires_at": int(time.time()) + RETENTION_SECONDS,
    }


class Transaction:
    """Collects writes and events; commits them in one DynamoDB transaction (max 100 items)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._on_conflict: list[PortalError | None] = []
        self.events: list[CrmEvent] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.commit()

    def put(
        self,
        table: str,
        item: dict[str, Any],
        *,
        unique: str | None = None,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        on_conflict: PortalError | None = None,
    ) -> None:
        """Put an item; ``unique="pk"`` makes it fail (on_conflict) if an item with that key exists."""
        if unique:
            condition = f"attribute_not_exists({unique})"
        self._add("Put", {"TableName": table, "Item": to_item(item)}, condition, names, values, on_conflict)

    def update(
        self,
        table: str,
        key: dict[str, Any],
        update: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        on_conflict: PortalError | None = None,
    ) -> None:
        op = {"TableName": table, "Key": to_item(key), "UpdateExpression": update}
        self._add("Update", op, condition, names, values, on_conflict)

    def delete(
        self,
        table: str,
        key: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        on_conflict: PortalError | None = None,
    ) -> None:
        self._add("Delete", {"TableName": table, "Key": to_item(key)}, condition, names, values, on_conflict)

    def check(
        self,
        table: str,
        key: dict[str, Any],
        condition: str,
        *,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        on_conflict: PortalError | None = None,
    ) -> None:
        self._add("ConditionCheck", {"TableName": table, "Key": to_item(key)}, condition, names, values, on_conflict)

    def _add(
        self,
        kind: str,
        op: dict[str, Any],
        condition: str | None,
        names: dict[str, str] | None,
        values: dict[str, Any] | None,
        on_conflict: PortalError | None,
    ) -> None:
        """One TransactItems entry with its optional condition and expression attributes."""
        if condition:
            op["ConditionExpression"] = condition
        if names:
            op["ExpressionAttributeNames"] = names
        if values:
            op["ExpressionAttributeValues"] = to_item(values)
        self._items.append({kind: op})
        self._on_conflict.append(on_conflict)

    def event(self, event: CrmEvent) -> CrmEvent:
        table = load_settings(OutboxSettings).outbox_table
        self._items.append(
            {
                "Put": {
                    "TableName": table,
                    "Item": to_item(outbox_item(event)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        self._on_conflict.append(None)
        self.events.append(event)
        return event

    def commit(self) -> None:
        if not self._items:
            return
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=self._items)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            for index, reason in enumerate(reasons):
                if reason.get("Code") == "ConditionalCheckFailed" and self._on_conflict[index] is not None:
                    raise self._on_conflict[index] from exc  # type: ignore[misc]
            if any(
                r.get("Code") in ("ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded")
                for r in reasons
            ):
                raise ServiceUnavailable("We are busy right now; nothing was saved. Please try again.") from exc
            raise


def emit(event: CrmEvent) -> CrmEvent:
    """An event that goes with no record write (e.g. a page view): its own one-item transaction."""
    with Transaction() as tx:
        tx.event(event)
    return event


def record_activity(
    portal: Portal,
    actor: Actor,
    action: str,
    subject: str,
    record_type: str | None = None,
    record_id: str | None = None,
) -> CrmEvent:
    return emit(activity_event(portal, actor, action, subject, record_type, record_id))
