"""Quote requests: the form, the stored request, the receipt, and the rule of what a request becomes.

The rule (record_kind): a quote request from a **prospect** creates a **lead** (someone new to
qualify); one from a **customer**, who has bought from us before, creates an **opportunity** (a new
sale to an account we already have). The CRM receives ``lead.created_from_quote`` or
``opportunity.created_from_quote`` (portal_common.crm_contracts.infosite).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from portal_common.email_address import EmailAddress

from .contacts import Contact, Name, OptionalCompany, OptionalPhone

RecordKind = Literal["lead", "opportunity"]
ContactBy = Literal["email", "phone"]


def record_kind(contact: Contact) -> RecordKind:
    """prospect -> lead, customer -> opportunity."""
    return "opportunity" if contact.kind == "customer" else "lead"


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class QuoteForm(BaseModel):
    """The quote form as submitted (prefilled from the contact)."""

    model_config = ConfigDict(extra="ignore")

    # contact_by comes first: the phone check below needs it
    contact_by: ContactBy = "email"
    name: Name
    email: Annotated[EmailAddress, BeforeValidator(_strip)]
    phone: OptionalPhone = Field(default=None, validate_default=True)
    company: OptionalCompany = None
    needs: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    best_time: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""

    @field_validator("phone")
    @classmethod
    def phone_when_calling(cls, phone: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("contact_by") == "phone" and not phone:
            raise ValueError(PHONE_NEEDED)
        return phone


PHONE_NEEDED = "Please give a phone number so we can call you."
FIELD_MESSAGES = {
    "name": "Please give your name.",
    "email": "Please give an email address we can reach you at, like name@example.com.",
    "phone": "Please give a phone number: digits, spaces and dashes, with an optional leading +.",
    "company": "Please keep the company name under 200 characters.",
    "needs": "Please tell us what you need (up to 2000 characters).",
    "contact_by": "Please choose how we should contact you.",
    "best_time": "Please keep this under 100 characters.",
}


def friendly_errors(errors: dict[str, str]) -> dict[str, str]:
    """The form's field errors in words for the person filling it in (pydantic's are for developers)."""
    return {
        name: message if message == PHONE_NEEDED else FIELD_MESSAGES.get(name, message)
        for name, message in errors.items()
    }


class QuoteRequest(BaseModel):
    """A stored quote request (ContactsTable, sk=QUOTE#<key>)."""

    contact_id: str
    key: str
    record: RecordKind
    needs: str
    contact_by: ContactBy
    best_time: str = ""
    assigned_to: list[str]
    submitted_at: datetime


class QuoteReceipt(BaseModel):
    """What the thank-you page (or an API client) is told."""

    record: RecordKind
    contact_by: ContactBy
    best_time: str
    by_account_manager: bool
    already_received: bool
