"""Reading leads: an advertiser sees its own leads, and no one else's (another's lead is "not
found", exactly like a lead that does not exist). Looking is an activity the CRM hears of."""

from __future__ import annotations

from leads import repository
from leads.models import LeadDetail, LeadPage
from portal_common.events import Actor, activity_event
from portal_common.outbox import emit

PAGE_SIZE = 25


def lead_detail(advertiser_id: str, lead_id: str, actor: Actor | None) -> LeadDetail:
    """One of the advertiser's own leads with its correspondence (``actor``: record the view)."""
    lead, messages = repository.lead_with_correspondence(lead_id, advertiser_id)
    if actor is not None:
        emit(activity_event("leadworks", actor, "viewed", f"lead:{lead_id}", "lead", lead_id))
    return LeadDetail(lead=lead, correspondence=messages)


def list_leads(advertiser_id: str, after: str | None, actor: Actor) -> LeadPage:
    page = repository.leads_of(advertiser_id, PAGE_SIZE, after)
    emit(activity_event("leadworks", actor, "viewed", f"advertiser:{advertiser_id}", "lead_list", None))
    return page
