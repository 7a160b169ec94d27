"""An RPH a partner sends us: the shared intake fields, its photos, and who sent it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from portal_common.events import EXTERNAL_USER
from portal_common.intake.models import IntakeFields


class RphPhoto(BaseModel):
    key: str
    content_type: str
    size: int


class Rph(BaseModel):
    """IntakeTable RPH#<id>/RECORD; the CRM shows it in its RPH module with the "external user" label."""

    rph_id: str
    partner_id: str
    label: Literal["external user"] = EXTERNAL_USER
    source: Literal["partners_portal"] = "partners_portal"
    fields: IntakeFields
    photos: list[RphPhoto]
    created_at: datetime
    created_by: str


class RphSummary(BaseModel):
    rph_id: str
    customer_name: str
    city: str
    zip: str
    photos: int
    created_at: datetime
