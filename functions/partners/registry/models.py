"""Partners as the CRM registers them, and as we store and answer them."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from portal_common.intake.models import Email, Phone, ZipCode, zip5

PartnerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,40}$")]
Zip5 = Annotated[ZipCode, AfterValidator(zip5)]
CompanyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


def new_partner_id() -> str:
    return f"ptn-{secrets.token_hex(5)}"


class PartnerRegistration(BaseModel):
    """POST /crm/partners: a partner firm, its portal user's email and its one ZIP code."""

    model_config = ConfigDict(extra="forbid")

    partner_id: PartnerId | None = Field(default=None, description="the CRM's id for the partner; made up if absent")
    company_name: CompanyName
    contact_name: PersonName = ""
    email: Email = Field(description="the partner's portal sign-in, and where proposal notices go")
    phone: Phone | None = None
    zip: Zip5 = Field(description="the one ZIP code whose proposals go to this partner")
    temporary_password: Annotated[str, StringConstraints(min_length=10, max_length=128)] | None = Field(
        default=None, description="first sign-in password (Cognito emails one if absent)"
    )

    @model_validator(mode="after")
    def _password_rules(self) -> PartnerRegistration:
        pw = self.temporary_password
        if pw is not None and not (re.search(r"[a-z]", pw) and re.search(r"[A-Z]", pw) and re.search(r"\d", pw)):
            raise ValueError("temporary_password needs a lower-case letter, an upper-case letter and a digit")
        return self


class PartnerChanges(BaseModel):
    """PATCH /crm/partners/{id}: any of these; a new ZIP moves the partner's claim."""

    model_config = ConfigDict(extra="forbid")

    company_name: CompanyName | None = None
    contact_name: PersonName | None = None
    email: Email | None = None
    phone: Phone | None = None
    zip: Zip5 | None = None

    @field_validator("company_name", "contact_name", "email", "zip", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # left out: unchanged; null would erase what every partner has (only the phone can be removed)
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep it")
        return value

    @model_validator(mode="after")
    def _something(self) -> PartnerChanges:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class Partner(BaseModel):
    """A partner as stored (PartnersTable PARTNER#<id>/PROFILE) and answered to the CRM."""

    partner_id: str
    company_name: str
    contact_name: str = ""
    email: str
    phone: str | None = None
    zip: str
    status: Literal["active", "inactive"] = "active"
    username: str = Field(default="", description="the partner's Cognito user name")
    created_at: datetime
    updated_at: datetime
