"""Proposal state changes: each one conditional, each with its CRM event in the same transaction.

    new --review--> reviewed --send--> sent --partner--> accepted | declined
    (unassigned: new with no partner_id; ``assign`` routes it once a partner holds the ZIP)

Sending is the one change that makes a proposal visible: it writes the partner index attributes.
Its condition (status new/reviewed, still assigned to that partner) lets exactly one of several
concurrent sends through; the notice email is then claimed separately (``claim_notice``) so that a
retry after a failed email sends it, and nothing ever sends it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from clock import iso

from portal_common import aws
from portal_common.errors import Conflict, NotFound
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from proposals import store
from proposals.models import Image, Proposal

NOTICE_CLAIM_SECONDS = 60


class StateChanged(Conflict):
    title = "This proposal has changed"


def create(proposal: Proposal, event: CrmEvent) -> None:
    with Transaction() as tx:
        tx.put(
            store.table(),
            store.to_item(proposal),
            unique="pk",
            on_conflict=Conflict(f"Proposal {proposal.proposal_id} already exists."),
        )
        tx.event(event)


def assign(proposal_id: str, partner_id: str, event: CrmEvent) -> None:
    with Transaction() as tx:
        tx.update(
            store.table(),
            store.key(proposal_id),
            "SET partner_id = :p REMOVE zip_status",
            condition="attribute_exists(pk) AND attribute_not_exists(partner_id)",
            values={":p": partner_id},
            on_conflict=StateChanged("This proposal already has a partner."),
        )
        tx.event(event)


def mark_reviewed(proposal_id: str, by: str, at: datetime, event: CrmEvent) -> None:
    with Transaction() as tx:
        tx.update(
            store.table(),
            store.key(proposal_id),
            "SET #s = :reviewed, reviewed_at = :at, reviewed_by = :by",
            condition="#s = :new",
            names={"#s": "status"},
            values={":reviewed": "reviewed", ":new": "new", ":at": iso(at), ":by": by},
            on_conflict=StateChanged("This proposal was reviewed or sent already."),
        )
        tx.event(event)


def mark_sent(proposal: Proposal, at: datetime, reviewed_by: str | None, event: CrmEvent) -> None:
    """new (with ``reviewed_by``) or reviewed -> sent, into the partner's indexes; one caller wins."""
    assert proposal.partner_id is not None
    update = "SET #s = :sent, sent_at = :at, partner_key = :pk, partner_owner_key = :pok, opportunity_sort = :os"
    values: dict[str, Any] = {
        ":sent": "sent",
        ":at": iso(at),
        ":pk": store.partner_key(proposal.partner_id),
        ":pok": store.partner_owner_key(proposal.partner_id, proposal.account_owner),
        ":os": store.opportunity_sort(proposal.opportunity_name, at),
        ":partner": proposal.partner_id,
        ":reviewed": "reviewed",
    }
    condition = "partner_id = :partner AND #s = :reviewed"
    if reviewed_by is not None:
        update += ", reviewed_at = if_not_exists(reviewed_at, :at), reviewed_by = if_not_exists(reviewed_by, :by)"
        values[":by"] = reviewed_by
        values[":new"] = "new"
        condition = "partner_id = :partner AND #s IN (:new, :reviewed)"
    with Transaction() as tx:
        tx.update(
            store.table(),
            store.key(proposal.proposal_id),
            update,
            condition=condition,
            names={"#s": "status"},
            values=values,
            on_conflict=StateChanged("This proposal was sent already, or changed meanwhile."),
        )
        tx.update(
            store.table(),
            store.owners_key(proposal.partner_id),
            "ADD owners :owner",
            values={":owner": {proposal.account_owner}},
        )
        tx.event(event)


def claim_notice(proposal_id: str, at: datetime) -> bool:
    """True for the one caller that may send the notice now (none sent; no send under way)."""
    try:
        aws.client("dynamodb").update_item(
            TableName=store.table(),
            Key=store.dynamo(store.key(proposal_id)),
            UpdateExpression="SET notice_claimed_at = :at",
            ConditionExpression=(
                "attribute_exists(sent_at) AND attribute_not_exists(notice_message_id) AND "
                "(attribute_not_exists(notice_claimed_at) OR notice_claimed_at < :stale)"
            ),
            ExpressionAttributeValues=store.dynamo(
                {":at": iso(at), ":stale": iso(at - timedelta(seconds=NOTICE_CLAIM_SECONDS))}
            ),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_notice(proposal_id: str, message_id: str) -> None:
    aws.client("dynamodb").update_item(
        TableName=store.table(),
        Key=store.dynamo(store.key(proposal_id)),
        UpdateExpression="SET notice_message_id = :m REMOVE notice_claimed_at",
        ExpressionAttributeValues=store.dynamo({":m": message_id}),
    )


def release_notice(proposal_id: str) -> None:
    """The email failed: let the next send try again at once."""
    aws.client("dynamodb").update_item(
        TableName=store.table(),
        Key=store.dynamo(store.key(proposal_id)),
        UpdateExpression="REMOVE notice_claimed_at",
        ConditionExpression="attribute_not_exists(notice_message_id)",
    )


def respond(
    proposal_id: str, partner_id: str, decision: str, reason: str, at: datetime, by: str, events: list[CrmEvent]
) -> None:
    with Transaction() as tx:
        tx.update(
            store.table(),
            store.key(proposal_id),
            "SET #s = :decision, #r = :response",
            condition="partner_id = :me AND #s = :sent",
            names={"#s": "status", "#r": "response"},
            values={
                ":decision": decision,
                ":response": {"decision": decision, "reason": reason, "at": iso(at), "by": by},
                ":me": partner_id,
                ":sent": "sent",
            },
            on_conflict=StateChanged("This proposal was answered already."),
        )
        for event in events:
            tx.event(event)


def add_image(proposal_id: str, image: Image, event: CrmEvent) -> bool:
    """Record a checked image; False when it was recorded before (S3 may deliver an event twice)."""
    item = image.model_dump(mode="json")
    item.update(pk=store.pk(proposal_id), sk=f"IMAGE#{iso(image.uploaded_at)}#{image.image_id}")
    item["uploaded_at"] = iso(image.uploaded_at)
    try:
        with Transaction() as tx:
            tx.check(
                store.table(),
                store.key(proposal_id),
                "attribute_exists(pk)",
                on_conflict=NotFound("The proposal of this image does not exist."),
            )
            tx.put(store.table(), item, condition="attribute_not_exists(sk)", on_conflict=Conflict("recorded"))
            tx.event(event)
    except NotFound:
        raise
    except Conflict:
        return False
    return True
