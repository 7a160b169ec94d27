"""RPH creation: a partner sends us a job it found, on the same form as the CRM's (shared with
Leadworks: portal_common.intake). The record is labelled "external user" and goes to the CRM as an
``rph.created`` event in the same transaction.

One draft makes one RPH: the RPH id comes from the form's draft id, so a form sent twice (a double
click, a retry) makes one record; the second answer is the first RPH.
"""

from __future__ import annotations

from clock import now

from portal_common.crm_contracts.partners import RphCreated, RphPhotoRef
from portal_common.errors import NotFound
from portal_common.events import Actor, CrmEvent, activity_event
from portal_common.intake.models import IntakeFields
from portal_common.intake.photos import PhotoDraft
from portal_common.outbox import record_activity
from rph import repository
from rph.models import Rph, RphPhoto


def owner_of(partner_id: str) -> str:
    return f"partner-{partner_id}"


def rph_id_for(draft: PhotoDraft) -> str:
    return f"RPH-{draft.draft_id[:16].upper()}"


def create_rph(partner_id: str, fields: IntakeFields, draft: PhotoDraft, actor: Actor, created_by: str) -> Rph:
    rph_id = rph_id_for(draft)
    photos = [RphPhoto(key=p.key, content_type=p.content_type, size=p.size) for p in draft.verified()]
    rph = Rph(
        rph_id=rph_id, partner_id=partner_id, fields=fields, photos=photos, created_at=now(), created_by=created_by
    )
    event = CrmEvent(
        type="rph.created",
        portal="partners",
        actor=actor,
        subject=f"rph:{rph_id}",
        data=RphCreated(
            **fields.model_dump(),
            rph_id=rph_id,
            partner_id=partner_id,
            photos=[RphPhotoRef.model_validate(p.model_dump()) for p in photos],
        ).model_dump(mode="json"),
    )
    touch = activity_event("partners", actor, "created", f"rph:{rph_id}", "rph", rph_id)
    try:
        repository.add(rph, [event, touch])
    except repository.RphExists:
        existing = repository.get(rph_id)
        if existing.partner_id != partner_id:
            raise NotFound("There is no such RPH.") from None
        return existing
    return rph


def rph_for(partner_id: str, rph_id: str) -> Rph:
    rph = repository.get(rph_id)
    if rph.partner_id != partner_id:
        raise NotFound("There is no such RPH.")
    return rph


def view_rph(partner_id: str, rph_id: str, actor: Actor) -> Rph:
    rph = rph_for(partner_id, rph_id)
    record_activity("partners", actor, "viewed", f"rph:{rph_id}", "rph", rph_id)
    return rph
