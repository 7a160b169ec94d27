"""Writing leads: the rules every new lead follows, from the form or a bulk upload.

- The email address is the lead's key (leads.email_key: NFKC, trim, case-fold). A second lead with
  the same key is impossible: the lead is a conditional put (attribute_not_exists) in the same
  DynamoDB transaction as its ``lead.created`` event, so whoever submits and however many at once,
  one write wins and every other one is refused (LeadAlreadyExists) — with the same answer whoever
  owns the lead; only its own advertiser is shown the way to it.
- Every lead is labelled "external user" and goes to the CRM (``lead.created``) with references to
  the archived messages with its address, which are attached to it (leads.attachments). After the
  write the index is read again: what was archived in the meantime is attached too.
"""

from __future__ import annotations

import uuid

from correspondence import mail_index
from correspondence.models import ArchivedMessage

from leads import attachments, repository
from leads.email_key import InvalidEmail, email_key
from leads.models import Lead, LeadOwner
from leads.repository import LeadAlreadyExists, LeadWrite
from portal_common.crm_contracts.leadworks import LeadCreated
from portal_common.errors import ValidationFailed
from portal_common.events import Actor, CrmEvent, activity_event
from portal_common.intake.models import IntakeFields

ATTACHED_AT_CREATION = 40  # more (rare) follow in lead.correspondence_attached events


def new_lead_id() -> str:
    return uuid.uuid4().hex


def key_of(fields: IntakeFields) -> str:
    try:
        return email_key(fields.email)
    except InvalidEmail as exc:
        raise ValidationFailed("The email address is not valid.", field_errors={"email": str(exc)}) from None


def lead_write(lead: Lead, found: list[ArchivedMessage], actor: Actor, *, touch: bool) -> LeadWrite:
    """The lead, the messages attached at once, its ``lead.created`` event (and the advertiser's
    ``activity`` when the lead is an action of its own; a bulk upload is one action in all)."""
    attach_now = found[:ATTACHED_AT_CREATION]
    data = LeadCreated(
        **lead.fields.model_dump(),
        lead_id=lead.lead_id,
        source=lead.source,
        advertiser_id=lead.advertiser_id,
        email_key=lead.email_key,
        upload_id=lead.upload_id,
        photos=lead.photos,
        correspondence=[m.ref() for m in attach_now],
    )
    subject = f"lead:{lead.lead_id}"
    events = [
        CrmEvent(
            type="lead.created", portal="leadworks", actor=actor, subject=subject, data=data.model_dump(mode="json")
        )
    ]
    if touch:
        events.append(activity_event("leadworks", actor, "created", subject, "lead", lead.lead_id))
    return LeadWrite(lead=lead, attachments=attach_now, events=events)


def owner_of(lead: Lead) -> LeadOwner:
    return LeadOwner(
        lead_id=lead.lead_id, advertiser_id=lead.advertiser_id, email_key=lead.email_key, draft_id=lead.draft_id
    )


def catch_up(lead: Lead, attached_at_creation: list[ArchivedMessage]) -> list[ArchivedMessage]:
    """After the lead is written: attach what the index holds for its address and the lead does not
    (archived while the lead was being written, or beyond what one transaction carries)."""
    known = {m.message_key for m in attached_at_creation}
    newer = [m for m in mail_index.messages_for(lead.email_key) if m.message_key not in known]
    return attachments.attach_missing(owner_of(lead), newer) if newer else []


def refusal(key: str, advertiser_id: str) -> LeadAlreadyExists:
    """The duplicate answer; the lead's own advertiser also learns which lead it is."""
    owner = repository.owner_of(key)
    return LeadAlreadyExists(owner.lead_id if owner and owner.advertiser_id == advertiser_id else None)
