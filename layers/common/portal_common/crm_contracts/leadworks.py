"""Leadworks' events to the CRM: advertisers registered by the CRM, and the leads they send us.

- ``lead.created``: a lead from the Leadworks form or a bulk upload, labelled "external user", with
  the intake form's fields and references to the archived correspondence attached to it.
- ``lead.correspondence_attached``: archived messages attached to an existing lead later (a message
  archived after the lead was created, or found in the moment the lead was written).
- ``advertiser.registered`` / ``advertiser.deactivated``: the CRM's own calls, confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from portal_common.events import EXTERNAL_USER
from portal_common.intake.models import IntakeFields


class CorrespondenceRef(BaseModel):
    """One archived message (SES inbound -> the mail archive bucket) attached to a lead."""

    message_key: str = Field(description="the message's object key in the mail archive bucket")
    archive_uri: str = Field(description="s3://<mail archive bucket>/<message_key>")
    received_at: datetime
    subject: str
    from_address: str
    message_id: str | None = Field(default=None, description="the message's Message-ID header")


class LeadPhotoRef(BaseModel):
    key: str = Field(description="object key in the images bucket")
    content_type: str
    size: int


class LeadCreated(IntakeFields):
    """data of ``lead.created``: the intake form's fields, and what Leadworks adds."""

    lead_id: str
    label: Literal["external user"] = EXTERNAL_USER
    source: Literal["leadworks_form", "leadworks_upload"]
    advertiser_id: str
    email_key: str = Field(description="the normalised email address: the lead's unique key")
    upload_id: str | None = Field(default=None, description="the bulk upload the lead came in (source upload)")
    photos: list[LeadPhotoRef] = Field(default_factory=list)
    correspondence: list[CorrespondenceRef] = Field(
        default_factory=list, description="archived messages with this address, attached at creation"
    )


class CorrespondenceAttached(BaseModel):
    """data of ``lead.correspondence_attached``."""

    lead_id: str
    advertiser_id: str
    email_key: str
    correspondence: list[CorrespondenceRef]


class AdvertiserData(BaseModel):
    """data of ``advertiser.registered`` and ``advertiser.deactivated``."""

    advertiser_id: str
    company_name: str
    contact_name: str = ""
    email: str
    phone: str | None = None
    status: Literal["active", "inactive"]
    access_start: str | None = None
    access_end: str | None = None


EVENTS: dict[str, type[BaseModel]] = {
    "lead.created": LeadCreated,
    "lead.correspondence_attached": CorrespondenceAttached,
    "advertiser.registered": AdvertiserData,
    "advertiser.deactivated": AdvertiserData,
}
