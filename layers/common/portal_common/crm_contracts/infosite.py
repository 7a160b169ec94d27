"""The Info site's events to the CRM: nurture emails, unsubscribes and quote requests.

- ``contact.synced``: the CRM's own upsert of a nurtured contact, confirmed.
- ``nurture.sent`` / ``nurture.skipped``: one per Nurture P2 send request; skipped when the contact
  had unsubscribed (checked at send time).
- ``contact.unsubscribed``: the contact used the unsubscribe link (its page, or one-click).
- ``lead.created_from_quote`` / ``opportunity.created_from_quote``: the quote form was sent. The rule:
  a **prospect** asking for a quote becomes a **lead**; a **customer** (bought from us before) an
  **opportunity**. Labelled "external user"; ``assigned_to`` are the users alerted by email.
- ``contact.updated``: the details the contact corrected on the quote form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ContactKind = Literal["prospect", "customer"]


class ContactSynced(BaseModel):
    """data of ``contact.synced``."""

    contact_id: str
    kind: ContactKind
    owner: str | None = Field(default=None, description="email of the assigned staff user")


class NurtureSend(BaseModel):
    """data of ``nurture.sent`` and ``nurture.skipped``."""

    contact_id: str
    send_id: str
    campaign: Literal["Nurture P2"]
    step: int
    reason: Literal["unsubscribed"] | None = Field(default=None, description="why it was skipped")
    message_id: str | None = Field(default=None, description="SES message id of the email sent")


class ContactUnsubscribed(BaseModel):
    """data of ``contact.unsubscribed``."""

    contact_id: str
    method: Literal["one-click", "page"] = Field(description="RFC 8058 one-click POST, or the confirmation page")
    unsubscribed_at: datetime


class ContactDetails(BaseModel):
    """data of ``contact.updated``: the contact's details as given on the quote form."""

    contact_id: str
    name: str
    email: str
    phone: str | None = None
    company: str | None = None


class QuoteContact(BaseModel):
    id: str
    kind: ContactKind
    owner: str | None = None
    name: str
    email: str
    phone: str | None = None
    company: str | None = None


class QuoteRequestData(BaseModel):
    needs: str
    contact_by: Literal["email", "phone"]
    best_time: str = ""


class QuoteRecordCreated(BaseModel):
    """data of ``lead.created_from_quote`` and ``opportunity.created_from_quote``."""

    record: Literal["lead", "opportunity"]
    label: Literal["external user"] = "external user"
    source: Literal["Info site quote form"] = "Info site quote form"
    campaign: Literal["Nurture P2"] = "Nurture P2"
    quote_key: str = Field(description="the nurture send the quote link came from: one request per email")
    contact: QuoteContact
    request: QuoteRequestData
    assigned_to: list[str] = Field(description="users alerted: the contact's owner, else the fallback list")


EVENTS: dict[str, type[BaseModel]] = {
    "contact.synced": ContactSynced,
    "nurture.sent": NurtureSend,
    "nurture.skipped": NurtureSend,
    "contact.unsubscribed": ContactUnsubscribed,
    "contact.updated": ContactDetails,
    "lead.created_from_quote": QuoteRecordCreated,
    "opportunity.created_from_quote": QuoteRecordCreated,
}
