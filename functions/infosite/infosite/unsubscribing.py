"""Unsubscribing from the nurture emails: effective at once, idempotent, told to the CRM.

Mail scanners follow the links in an email, so looking at the page (GET) changes nothing and tells
no one; only a POST unsubscribes: the page's button, or a mail client's RFC 8058 one-click POST.
The signed link (purpose ``unsubscribe``, subject = contact id) is the authority: no sign-in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from portal_common.crm_contracts.infosite import ContactUnsubscribed
from portal_common.events import Actor, CrmEvent, activity_event, utc_now
from portal_common.links import verify_link
from portal_common.outbox import Transaction

from . import contact_store
from .contacts import masked_email
from .errors import AlreadyUnsubscribed
from .link_subjects import UNSUBSCRIBE

Method = Literal["one-click", "page"]
EXPIRED_NEXT_STEP = (
    "To stop our emails, use the unsubscribe link in our most recent email, or reply to it with the word 'unsubscribe'."
)


class UnsubscribeView(BaseModel):
    masked_email: str
    unsubscribed: bool


class UnsubscribeResult(BaseModel):
    masked_email: str
    changed: bool


def _contact_id(token: str) -> str:
    return verify_link(token, UNSUBSCRIBE, expired_next_step=EXPIRED_NEXT_STEP).subject


def unsubscribe_page(token: str) -> UnsubscribeView:
    """What the confirmation page shows. Reads only."""
    contact = contact_store.require_contact(_contact_id(token), consistent=False)
    return UnsubscribeView(masked_email=masked_email(contact.email), unsubscribed=contact.unsubscribed)


def unsubscribe(token: str, actor: Actor, method: Method) -> UnsubscribeResult:
    """Unsubscribe the link's contact; a second time changes nothing and sends no second event."""
    contact_id = _contact_id(token)
    contact = contact_store.require_contact(contact_id)
    result = UnsubscribeResult(masked_email=masked_email(contact.email), changed=False)
    if contact.unsubscribed:
        return result
    now = utc_now()
    actor = actor.model_copy(update={"kind": "contact", "id": contact_id})
    subject = f"contact:{contact_id}"
    try:
        with Transaction() as tx:
            contact_store.stage_unsubscribe(tx, contact_id, now)
            tx.event(
                CrmEvent(
                    type="contact.unsubscribed",
                    portal="infosite",
                    actor=actor,
                    subject=subject,
                    data=ContactUnsubscribed(contact_id=contact_id, method=method, unsubscribed_at=now).model_dump(
                        mode="json"
                    ),
                )
            )
            tx.event(activity_event("infosite", actor, "unsubscribed", subject, "contact", contact_id))
    except AlreadyUnsubscribed:  # two clicks raced: the other one recorded it
        return result
    return result.model_copy(update={"changed": True})
