"""The Partners portal's events to the CRM.

- ``partner.registered`` / ``partner.updated`` / ``partner.deactivated``: the CRM's own calls on
  /crm/partners, confirmed (a partner, its one ZIP code, its status).
- ``external_proposal.created``: a proposal the CRM created, and where it went: ``assigned`` to the
  partner holding its ZIP, or ``unassigned`` (the uncovered-ZIP report); ``external_proposal.assigned``
  when an unassigned one is routed again later.
- ``external_proposal.reviewed`` / ``external_proposal.sent``: the account manager's review, and the
  send that makes it visible to the partner (the notice email goes once).
- ``external_proposal.accepted`` / ``external_proposal.declined``: the partner's answer (a reason
  when declined).
- ``external_proposal.image_added``: an image checked by its bytes, with its thumbnail.
- ``rph.created``: an RPH a partner sent us, labelled "external user", with the intake form's fields
  and its photos.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from portal_common.events import EXTERNAL_USER
from portal_common.intake.models import IntakeFields


class PartnerData(BaseModel):
    """data of ``partner.registered``, ``partner.updated`` and ``partner.deactivated``."""

    partner_id: str
    company_name: str
    contact_name: str = ""
    email: str = Field(description="the partner's portal sign-in, where proposal notices go")
    phone: str | None = None
    zip: str = Field(description="the one ZIP code whose proposals go to this partner")
    status: Literal["active", "inactive"]
    created_at: datetime
    updated_at: datetime
    changed: list[str] = Field(default_factory=list, description="partner.updated: the fields changed")


class ProposalRouted(BaseModel):
    """data of ``external_proposal.created`` and ``external_proposal.assigned``."""

    proposal_id: str
    partner_id: str | None = Field(description="None: no partner holds the ZIP code (unassigned)")
    zip: str
    assignment: Literal["assigned", "unassigned"]


class ProposalReviewed(BaseModel):
    """data of ``external_proposal.reviewed``."""

    proposal_id: str
    reviewed_by: str


class ProposalSent(BaseModel):
    """data of ``external_proposal.sent``: from now on the partner sees it."""

    proposal_id: str
    partner_id: str
    sent_at: datetime


class ProposalAnswered(BaseModel):
    """data of ``external_proposal.accepted`` and ``external_proposal.declined``."""

    proposal_id: str
    partner_id: str
    decision: Literal["accepted", "declined"]
    reason: str = Field(default="", description="why it was declined")


class ProposalImageAdded(BaseModel):
    """data of ``external_proposal.image_added``."""

    proposal_id: str
    image_id: str
    content_type: str = Field(description="the type its bytes prove")
    size: int


class RphPhotoRef(BaseModel):
    key: str = Field(description="object key in the images bucket")
    content_type: str
    size: int


class RphCreated(IntakeFields):
    """data of ``rph.created``: the intake form's fields, and what the Partners portal adds."""

    rph_id: str
    label: Literal["external user"] = EXTERNAL_USER
    source: Literal["partners_portal"] = "partners_portal"
    partner_id: str
    photos: list[RphPhotoRef] = Field(default_factory=list)


EVENTS: dict[str, type[BaseModel]] = {
    "partner.registered": PartnerData,
    "partner.updated": PartnerData,
    "partner.deactivated": PartnerData,
    "external_proposal.created": ProposalRouted,
    "external_proposal.assigned": ProposalRouted,
    "external_proposal.reviewed": ProposalReviewed,
    "external_proposal.sent": ProposalSent,
    "external_proposal.accepted": ProposalAnswered,
    "external_proposal.declined": ProposalAnswered,
    "external_proposal.image_added": ProposalImageAdded,
    "rph.created": RphCreated,
}
