"""Advertisers as the CRM registers them, and as we store and answer them."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from portal_common.intake.models import Email, Phone

AdvertiserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,40}$")]
CompanyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


def new_advertiser_id() -> str:
    return f"adv-{secrets.token_hex(5)}"


class AdvertiserRegistration(BaseModel):
    """POST /crm/advertisers: an advertiser and its Leadworks sign-in."""

    model_config = ConfigDict(extra="forbid")

    advertiser_id: AdvertiserId | None = Field(default=None, description="the CRM's id; made up if absent")
    company_name: CompanyName
    contact_name: PersonName = ""
    email: Email = Field(description="the advertiser's Leadworks sign-in")
    phone: Phone | None = None
    access_start: date | None = Field(default=None, description="first day it may sign in (none: from now)")
    access_end: date | None = Field(default=None, description="last day it may sign in (none: no end)")
    temporary_password: Annotated[str, StringConstraints(min_length=10, max_length=128)] | None = Field(
        default=None, description="first sign-in password (Cognito emails one if absent)"
    )

    @model_validator(mode="after")
    def _rules(self) -> AdvertiserRegistration:
        pw = self.temporary_password
        if pw is not None and not (re.search(r"[a-z]", pw) and re.search(r"[A-Z]", pw) and re.search(r"\d", pw)):
            raise ValueError("temporary_password needs a lower-case letter, an upper-case letter and a digit")
        if self.access_start and self.access_end and self.access_end < self.access_start:
            raise ValueError("access_end is before access_start")
        return self


class Advertiser(BaseModel):
    """AdvertisersTable ADVERTISER#<id>/PROFILE, and the CRM's answer."""

    advertiser_id: str
    company_name: str
    contact_name: str = ""
    email: str
    phone: str | None = None
    status: Literal["active", "inactive"] = "active"
    access_start: str | None = None
    access_end: str | None = None
    username: str = Field(default="", description="the advertiser's Cognito user name")
    created_at: datetime
    updated_at: datetime
