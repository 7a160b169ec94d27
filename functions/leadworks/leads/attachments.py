"""Attaching archived correspondence to a lead, exactly once per message, from either side.

Two writers attach: the lead's creation (the messages archived before it) and the mail indexer
(a message archived after it). Each attachment is a conditional put in a transaction with its
``lead.correspondence_attached`` event, so a message attached by one is never attached (or sent to
the CRM) again by the other. No message falls between them: the indexer stores a message in the
index before it looks for the lead, and a new lead looks at the index again after it is written
(leads.domain), so at least one of the two sees the other.
"""

from __future__ import annotations

from correspondence.models import ArchivedMessage

from leads import repository
from leads.models import LeadOwner
from portal_common.crm_contracts.leadworks import CorrespondenceAttached
from portal_common.errors import ServiceUnavailable
from portal_common.events import Actor, CrmEvent

PER_TRANSACTION = 40  # attachment items per transaction (+ the lead check and the event)
ATTEMPTS = 4
MAIL_INDEX_ACTOR = Actor(kind="system", id="leadworks-mail-archive")


def attached_event(owner: LeadOwner, messages: list[ArchivedMessage], actor: Actor = MAIL_INDEX_ACTOR) -> CrmEvent:
    data = CorrespondenceAttached(
        lead_id=owner.lead_id,
        advertiser_id=owner.advertiser_id,
        email_key=owner.email_key,
        correspondence=[m.ref() for m in messages],
    )
    return CrmEvent(
        type="lead.correspondence_attached",
        portal="leadworks",
        actor=actor,
        subject=f"lead:{owner.lead_id}",
        data=data.model_dump(mode="json"),
    )


def _unique(messages: list[ArchivedMessage]) -> list[ArchivedMessage]:
    seen: dict[str, ArchivedMessage] = {}
    for message in messages:
        seen.setdefault(message.message_key, message)
    return list(seen.values())


def attach_missing(owner: LeadOwner, messages: list[ArchivedMessage]) -> list[ArchivedMessage]:
    """Attach those of ``messages`` the lead does not have yet; returns the ones attached now."""
    attached: list[ArchivedMessage] = []
    candidates = _unique(messages)
    for _ in range(ATTEMPTS):
        have = repository.attached_message_keys(owner.email_key)
        missing = [m for m in candidates if m.message_key not in have]
        if not missing:
            return attached
        raced = False
        for start in range(0, len(missing), PER_TRANSACTION):
            chunk = missing[start : start + PER_TRANSACTION]
            if not repository.attach(owner, chunk, attached_event(owner, chunk)):
                raced = True  # the other writer attached one of them meanwhile: read again
                break
            attached += chunk
        if not raced:
            return attached
    raise ServiceUnavailable("We could not attach the correspondence; please try again.")
