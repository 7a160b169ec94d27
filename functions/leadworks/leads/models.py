"""Leads as Leadworks stores them, shows them and answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from correspondence.models import ArchivedMessage
from pydantic import BaseModel, Field

from portal_common.crm_contracts.leadworks import EXTERNAL_USER, LeadPhotoRef
from portal_common.intake.models import IntakeFields

Source = Literal["leadworks_form", "leadworks_upload"]


def photo_owner(advertiser_id: str) -> str:
    """The owner name of an advertiser's intake photo drafts (portal_common.intake.photos)."""
    return f"advertiser-{advertiser_id}"


class Lead(BaseModel):
    """IntakeTable LEAD#<email key>/RECORD; the CRM shows it with the "external user" label."""

    lead_id: str
    advertiser_id: str
    email_key: str = Field(description="the normalised email address: the lead's unique key")
    label: Literal["external user"] = EXTERNAL_USER
    source: Source
    fields: IntakeFields
    photos: list[LeadPhotoRef] = Field(default_factory=list)
    created_at: datetime
    created_by: str = Field(description="the signed-in user's email")
    draft_id: str | None = Field(
        default=None, description="the form draft it came from (a resent form is the same lead)"
    )
    upload_id: str | None = None


class LeadSummary(BaseModel):
    """A row of the advertiser's list."""

    lead_id: str
    email: str
    customer_name: str
    city: str
    state: str
    zip: str
    source: Source
    created_at: datetime


class LeadPage(BaseModel):
    leads: list[LeadSummary]
    next: str | None = Field(default=None, description="pass as ?after= for the next page")


class LeadDetail(BaseModel):
    """A lead with the archived messages attached to it, oldest first."""

    lead: Lead
    correspondence: list[ArchivedMessage]


class LeadOwner(BaseModel):
    """Who owns the lead of an email key (what a conflict or the mail indexer needs to know)."""

    lead_id: str
    advertiser_id: str
    email_key: str
    draft_id: str | None = None
