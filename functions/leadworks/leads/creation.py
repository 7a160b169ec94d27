"""Creating one lead from the intake form (the same form as the Partners portal's RPH creation).

The rules are leads.writing's; this adds the form's photos (portal_common.intake.photos, checked
by their bytes when the form is sent) and one thing: a form sent twice (the same draft, a double
click or a retry) is the same lead, not a duplicate.
"""

from __future__ import annotations

from clock import now
from correspondence import mail_index

from leads import attachments, reading, repository
from leads.models import Lead, Source
from leads.writing import catch_up, key_of, lead_write, new_lead_id, refusal
from portal_common.crm_contracts.leadworks import LeadPhotoRef
from portal_common.events import Actor
from portal_common.intake.models import IntakeFields
from portal_common.intake.photos import PhotoDraft


def create_lead(
    advertiser_id: str,
    fields: IntakeFields,
    draft: PhotoDraft | None,
    actor: Actor,
    created_by: str,
    source: Source = "leadworks_form",
) -> Lead:
    key = key_of(fields)
    found = mail_index.messages_for(key)
    photos = (
        [LeadPhotoRef(key=p.key, content_type=p.content_type, size=p.size) for p in draft.verified()] if draft else []
    )
    lead = Lead(
        lead_id=new_lead_id(),
        advertiser_id=advertiser_id,
        email_key=key,
        source=source,
        fields=fields,
        photos=photos,
        created_at=now(),
        created_by=created_by,
        draft_id=draft.draft_id if draft else None,
    )
    write = lead_write(lead, found, actor, touch=True)
    if repository.add_leads([write]):
        owner = repository.owner_of(key)
        if owner and owner.advertiser_id == advertiser_id:
            # its own lead again: perhaps a retry of a create that failed after the write, before its
            # catch-up; what was archived meanwhile is attached now (nothing, if it was done)
            attachments.attach_missing(owner, mail_index.messages_for(key))
        if owner and draft and owner.advertiser_id == advertiser_id and owner.draft_id == draft.draft_id:
            return reading.lead_detail(advertiser_id, owner.lead_id, None).lead  # the same form, sent again
        raise refusal(key, advertiser_id)
    catch_up(lead, write.attachments)
    return lead
