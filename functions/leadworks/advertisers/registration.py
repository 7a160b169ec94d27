"""Registering an advertiser: the rules.

Registering creates the advertiser's Leadworks user (custom:advertiser_id = the advertiser id;
access dates as custom:access_start/end). The user is made first; if the advertiser then cannot be
stored (its id taken meanwhile) the user is removed again: a refused registration leaves nothing
behind. An email address that already has a user is refused by Cognito (409).
"""

from __future__ import annotations

from clock import now

from advertisers import portal_users, repository
from advertisers.models import Advertiser, AdvertiserRegistration, new_advertiser_id
from portal_common.crm_contracts.leadworks import AdvertiserData
from portal_common.events import Actor, CrmEvent


def advertiser_event(kind: str, advertiser: Advertiser, actor: Actor) -> CrmEvent:
    data = AdvertiserData.model_validate(advertiser.model_dump(mode="json"))
    return CrmEvent(
        type=f"advertiser.{kind}",
        portal="leadworks",
        actor=actor,
        subject=f"advertiser:{advertiser.advertiser_id}",
        data=data.model_dump(mode="json"),
    )


def register_advertiser(request: AdvertiserRegistration, actor: Actor) -> Advertiser:
    advertiser_id = request.advertiser_id or new_advertiser_id()
    if repository.exists(advertiser_id):  # the common refusal, before a user is made
        raise repository.taken(advertiser_id)
    access = {
        name: day.isoformat()
        for name, day in (("custom:access_start", request.access_start), ("custom:access_end", request.access_end))
        if day is not None
    }
    username = portal_users.create(request.email, advertiser_id, access, request.temporary_password)
    at = now()
    advertiser = Advertiser(
        advertiser_id=advertiser_id,
        company_name=request.company_name,
        contact_name=request.contact_name,
        email=request.email,
        phone=request.phone,
        access_start=access.get("custom:access_start"),
        access_end=access.get("custom:access_end"),
        username=username,
        created_at=at,
        updated_at=at,
    )
    try:
        repository.add(advertiser, advertiser_event("registered", advertiser, actor))
    except BaseException:
        portal_users.remove(username)
        raise
    return advertiser
