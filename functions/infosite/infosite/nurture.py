"""Nurture emails: the CRM's order, the queue message, the stored send record, the outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .contacts import ContactId

Campaign = Literal["Nurture P2"]
SendId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


class NurtureEmailOrder(BaseModel):
    """POST /crm/nurture-emails: send this step of the campaign to this contact."""

    model_config = ConfigDict(extra="forbid")

    contact_id: ContactId
    campaign: Campaign = "Nurture P2"
    step: int = Field(ge=1, le=52)
    send_id: SendId | None = Field(default=None, description="the CRM's id for this send (made up if absent)")


class NurtureSendRequest(BaseModel):
    """The message on NurtureQueue."""

    model_config = ConfigDict(extra="forbid")

    send_id: SendId = Field(default_factory=lambda: uuid.uuid4().hex)
    contact_id: ContactId
    campaign: Campaign = "Nurture P2"
    step: int = Field(ge=1, le=52)


class QueuedNurtureEmail(BaseModel):
    """The answer to the CRM: accepted for sending."""

    send_id: str
    contact_id: str
    campaign: str
    step: int
    status: Literal["queued"] = "queued"


class SendRecord(BaseModel):
    """A stored send (ContactsTable, sk=SEND#<send id>): ``sending`` while its email is claimed and
    on its way (infosite.nurture_sending), then ``sent`` or ``skipped``."""

    contact_id: str
    send_id: str
    campaign: str
    step: int
    status: Literal["sending", "sent", "skipped"]
    reason: str | None = None
    message_id: str | None = None
    at: datetime


class SendOutcome(BaseModel):
    send_id: str
    contact_id: str
    status: Literal["sent", "skipped", "duplicate"]
    reason: str | None = None
    message_id: str | None = None
