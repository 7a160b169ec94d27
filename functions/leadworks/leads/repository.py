"""IntakeTable for leads: the only module that touches it for Leadworks.

Access patterns (template: IntakeTable):
    LEAD#<email key> / RECORD                          the lead: one per normalised email, ever
                                                       (a conditional put: whoever writes first wins)
    LEAD#<email key> / MAIL#<received_at>#<msg key>    an archived message attached to it
    LEADID#<lead id> / RECORD                          lead id -> email key and owner, so that no URL
                                                       carries an email address
    GSI ByOwner: owner_key = ADVERTISER#<id>, created_at   an advertiser's leads, newest first
                                                       (only RECORD items carry owner_key)

Every write goes with its CRM events in one DynamoDB transaction (portal_common.outbox).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from clock import iso, now
from correspondence.models import ArchivedMessage

from leads.models import Lead, LeadOwner, LeadPage, LeadSummary
from portal_common import aws
from portal_common.dynamo import from_item
from portal_common.errors import Conflict, NotFound, PortalError, ServiceUnavailable
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from portal_common.settings import Settings, load_settings

RECORD = "RECORD"
MAIL = "MAIL#"
MAX_TRANSACTION_ITEMS = 100
BATCH_GET = 100
CONFLICT_RETRIES = 6


class IntakeTableSettings(Settings):
    intake_table: str


class LeadAlreadyExists(Conflict):
    """The one answer to a duplicate email, whoever owns the lead (nothing about it is revealed)."""

    code, title = "lead_exists", "A lead with this email already exists"

    def __init__(self, own_lead_id: str | None = None) -> None:
        self.own_lead_id = own_lead_id
        super().__init__(
            "A lead with this email address already exists. Each email address can have one lead only.",
            field_errors={"email": "A lead with this email address already exists"},
            next_step=f"It is one of your leads: /leadworks/leads/{own_lead_id}" if own_lead_id else None,
        )


class _Refused(PortalError):
    """A lead item's condition failed inside a transaction (internal: becomes a per-lead outcome)."""


class _AlreadyAttached(PortalError):
    """An attachment item exists already (internal)."""


def _table() -> str:
    return load_settings(IntakeTableSettings).intake_table


def lead_pk(email_key: str) -> str:
    return f"LEAD#{email_key}"


def owner_key(advertiser_id: str) -> str:
    return f"ADVERTISER#{advertiser_id}"


def _lead_item(lead: Lead) -> dict[str, Any]:
    item = lead.model_dump(mode="json")
    item.update(
        pk=lead_pk(lead.email_key), sk=RECORD, owner_key=owner_key(lead.advertiser_id), created_at=iso(lead.created_at)
    )
    return item


def _pointer_item(lead: Lead) -> dict[str, Any]:
    return {
        "pk": f"LEADID#{lead.lead_id}",
        "sk": RECORD,
        "lead_id": lead.lead_id,
        "email_key": lead.email_key,
        "advertiser_id": lead.advertiser_id,
        "lead_created_at": iso(lead.created_at),
    }


def _attachment_item(email_key: str, message: ArchivedMessage, attached_at: str) -> dict[str, Any]:
    item = message.model_dump(mode="json")
    item.update(
        pk=lead_pk(email_key), sk=f"{MAIL}{iso(message.received_at)}#{message.message_key}", attached_at=attached_at
    )
    return item


def _commit(tx: Transaction) -> None:
    """Commit; a conflict with a concurrent transaction on the same items is retried (after it, the
    other writer's result is visible, so a duplicate then gets its clear refusal)."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            tx.commit()
            return
        except ServiceUnavailable:
            if attempt == CONFLICT_RETRIES - 1:
                raise
            time.sleep(random.uniform(0.02, 0.1) * 2**attempt)


def _failed_items(exc: PortalError) -> list[int]:
    cause = exc.__cause__
    reasons = (cause.response.get("CancellationReasons") or []) if isinstance(cause, ClientError) else []
    return [n for n, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]


# -- writing leads -------------------------------------------------------------------------------
@dataclass
class LeadWrite:
    """One lead, the archived messages attached at creation, and its CRM events: written together."""

    lead: Lead
    attachments: list[ArchivedMessage] = field(default_factory=list)
    events: list[CrmEvent] = field(default_factory=list)

    @property
    def items(self) -> int:
        return 2 + len(self.attachments) + len(self.events)


def add_leads(writes: list[LeadWrite]) -> set[int]:
    """Write leads in one transaction (at most 100 items in all). Returns the indexes of the leads
    refused because a lead with their email key exists; all the others are written, with their
    events. Nothing of a refused lead is written."""
    if sum(w.items for w in writes) > MAX_TRANSACTION_ITEMS:
        raise ValueError("more than 100 items for one transaction")
    table, attached_at = _table(), iso(now())
    pending, refused = list(range(len(writes))), set[int]()
    while pending:
        tx, owners = Transaction(), []
        for index in pending:
            write = writes[index]
            tx.put(table, _lead_item(write.lead), unique="pk", on_conflict=_Refused())
            tx.put(table, _pointer_item(write.lead), unique="pk")
            for message in write.attachments:
                tx.put(table, _attachment_item(write.lead.email_key, message, attached_at))
            for event in write.events:
                tx.event(event)
            owners += [index] * write.items
        try:
            _commit(tx)
        except _Refused as exc:
            failed = {owners[n] for n in _failed_items(exc)}
            if _written_already([writes[i] for i in failed]):
                return refused  # an earlier attempt of this very transaction committed it all
            refused |= failed
            pending = [i for i in pending if i not in failed]
            continue
        return refused
    return refused


def _written_already(writes: list[LeadWrite]) -> bool:
    """Whether these leads are stored as ours: a retried request (after a timeout) whose first try
    committed. DynamoDB makes SDK retries idempotent (ClientRequestToken) and this never happens; an
    emulator that re-runs them sees its own writes as conflicts."""
    stored = owners_of(w.lead.email_key for w in writes)
    return any((owner := stored.get(w.lead.email_key)) is not None and owner.lead_id == w.lead.lead_id for w in writes)


# -- attaching correspondence --------------------------------------------------------------------
def attach(owner: LeadOwner, messages: list[ArchivedMessage], event: CrmEvent) -> bool:
    """Attach messages to an existing lead with their event, all or nothing. False when one of them
    was attached meanwhile (by the mail indexer, or by the lead's own creation): read and retry."""
    table, attached_at = _table(), iso(now())
    tx = Transaction()
    tx.check(table, {"pk": lead_pk(owner.email_key), "sk": RECORD}, "attribute_exists(pk)")
    for message in messages:
        tx.put(
            table,
            _attachment_item(owner.email_key, message, attached_at),
            condition="attribute_not_exists(sk)",
            on_conflict=_AlreadyAttached(),
        )
    tx.event(event)
    try:
        _commit(tx)
    except _AlreadyAttached:
        return False
    return True


def attached_message_keys(email_key: str) -> set[str]:
    ddb = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :mail)",
        "ExpressionAttributeValues": {":pk": {"S": lead_pk(email_key)}, ":mail": {"S": MAIL}},
        "ProjectionExpression": "message_key",
        "ConsistentRead": True,
    }
    keys: set[str] = set()
    while True:
        page = ddb.query(**request)
        keys |= {item["message_key"]["S"] for item in page.get("Items", [])}
        if "LastEvaluatedKey" not in page:
            return keys
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# -- reading -------------------------------------------------------------------------------------
_OWNER_FIELDS = "lead_id, advertiser_id, email_key, draft_id"


def owner_of(email_key: str) -> LeadOwner | None:
    item = (
        aws.client("dynamodb")
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": lead_pk(email_key)}, "sk": {"S": RECORD}},
            ProjectionExpression=_OWNER_FIELDS,
            ConsistentRead=True,
        )
        .get("Item")
    )
    return LeadOwner.model_validate(from_item(item)) if item else None


def owners_of(email_keys: Iterable[str]) -> dict[str, LeadOwner]:
    """The leads that exist among these email keys (BatchGetItem, read consistently)."""
    ddb, table = aws.client("dynamodb"), _table()
    keys = sorted(set(email_keys))
    found: dict[str, LeadOwner] = {}
    for start in range(0, len(keys), BATCH_GET):
        request: dict[str, Any] = {
            table: {
                "Keys": [{"pk": {"S": lead_pk(k)}, "sk": {"S": RECORD}} for k in keys[start : start + BATCH_GET]],
                "ProjectionExpression": _OWNER_FIELDS,
                "ConsistentRead": True,
            }
        }
        for attempt in range(10):
            answer = ddb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                owner = LeadOwner.model_validate(from_item(item))
                found[owner.email_key] = owner
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise ServiceUnavailable("We are busy right now. Please try again.")
    return found


def _pointer(lead_id: str) -> dict[str, Any] | None:
    item = (
        aws.client("dynamodb")
        .get_item(TableName=_table(), Key={"pk": {"S": f"LEADID#{lead_id}"}, "sk": {"S": RECORD}}, ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def lead_with_correspondence(lead_id: str, advertiser_id: str) -> tuple[Lead, list[ArchivedMessage]]:
    """One of the advertiser's leads and its attached messages; another's lead is NotFound, as a
    lead that does not exist is."""
    pointer = _pointer(lead_id)
    if pointer is None or pointer["advertiser_id"] != advertiser_id:
        raise NotFound("There is no such lead.")
    ddb = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": lead_pk(pointer["email_key"])}},
        "ConsistentRead": True,
    }
    lead: Lead | None = None
    messages: list[ArchivedMessage] = []
    while True:
        page = ddb.query(**request)
        for item in page.get("Items", []):
            doc = from_item(item)
            if doc["sk"] == RECORD:
                lead = Lead.model_validate(doc)
            elif doc["sk"].startswith(MAIL):
                messages.append(ArchivedMessage.model_validate(doc))
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if lead is None or lead.advertiser_id != advertiser_id:
        raise NotFound("There is no such lead.")
    return lead, messages


def leads_of(advertiser_id: str, limit: int, after: str | None = None) -> LeadPage:
    """A page of the advertiser's leads, newest first: one GSI query (plus one read to resume after
    a lead of the previous page). ``after`` is a lead id; someone else's is ignored."""
    request: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "ByOwner",
        "KeyConditionExpression": "owner_key = :owner",
        "ExpressionAttributeValues": {":owner": {"S": owner_key(advertiser_id)}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    pointer = _pointer(after) if after else None
    if pointer is not None and pointer["advertiser_id"] == advertiser_id:
        request["ExclusiveStartKey"] = {
            "pk": {"S": lead_pk(pointer["email_key"])},
            "sk": {"S": RECORD},
            "owner_key": {"S": owner_key(advertiser_id)},
            "created_at": {"S": pointer["lead_created_at"]},
        }
    page = aws.client("dynamodb").query(**request)
    leads = [Lead.model_validate(from_item(item)) for item in page.get("Items", [])]
    summaries = [
        LeadSummary(
            lead_id=lead.lead_id,
            email=lead.fields.email,
            customer_name=lead.fields.customer_name,
            city=lead.fields.city,
            state=lead.fields.state,
            zip=lead.fields.zip,
            source=lead.source,
            created_at=lead.created_at,
        )
        for lead in leads
    ]
    more = "LastEvaluatedKey" in page and bool(summaries)
    return LeadPage(leads=summaries, next=summaries[-1].lead_id if more else None)
