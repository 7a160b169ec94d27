"""Contacts the CRM nurtures: the entity, the CRM's upsert body and what the CRM gets back.

A contact is a ``prospect`` (not buying from us yet) or a ``customer`` (has bought before). That
kind decides what a quote request becomes (infosite.quotes.record_kind): prospect -> lead,
customer -> opportunity. ``owner`` is the email of the staff user the CRM assigned (optional); quote
alerts go to them. ``unsubscribed`` is set only by the contact (infosite.unsubscribing): the CRM's
upsert never clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from portal_common.email_address import EmailAddress

ContactKind = Literal["prospect", "customer"]
ContactId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _one_line(value: str) -> str:
    # a name goes into email subjects (the nurture email, the quote alert): a line break is refused
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9][0-9 ().-]{5,38}$"),
    Field(description="digits, spaces, brackets, dots and dashes; an optional leading +"),
]
OptionalPhone = Annotated[Phone | None, BeforeValidator(_blank_is_none)]
OptionalCompany = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_one_line)] | None,
    BeforeValidator(_blank_is_none),
]
OptionalEmail = Annotated[EmailAddress | None, BeforeValidator(_blank_is_none)]


class ContactUpsert(BaseModel):
    """PUT /crm/contacts/{contact_id}: the contact as the CRM has it now."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailAddress
    phone: OptionalPhone = None
    company: OptionalCompany = None
    kind: ContactKind
    owner: OptionalEmail = Field(default=None, description="email of the assigned staff user (quote alerts)")


class Contact(BaseModel):
    """A nurtured contact (domain entity)."""

    id: ContactId
    name: str
    email: str
    phone: str | None = None
    company: str | None = None
    kind: ContactKind
    owner: str | None = None
    unsubscribed: bool = False
    unsubscribed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ContactView(BaseModel):
    """What the CRM gets back from an upsert."""

    id: str
    name: str
    email: str
    phone: str | None
    company: str | None
    kind: ContactKind
    owner: str | None
    unsubscribed: bool
    unsubscribed_at: datetime | None

    @classmethod
    def of(cls, contact: Contact) -> ContactView:
        return cls.model_validate(contact.model_dump(include=set(cls.model_fields)))


def masked_email(email: str) -> str:
    """a•••@example.com: enough for the person to recognise, not enough to harvest from a shared link."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
