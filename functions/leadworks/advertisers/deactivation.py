"""Deactivating an advertiser: the Leadworks user is disabled first (fail closed: no more sign-in,
and its open sessions end at once), then the advertiser is marked inactive. Its leads stay, and so
do their email addresses: a deactivated advertiser's lead is still the one lead of its address."""

from __future__ import annotations

from clock import now

from advertisers import portal_users, repository
from advertisers.models import Advertiser
from advertisers.registration import advertiser_event
from portal_common.events import Actor
from portal_common.settings import Settings, load_settings


class SessionsSettings(Settings):
    sessions_table: str


def deactivate_advertiser(advertiser_id: str, actor: Actor) -> Advertiser:
    advertiser = repository.get(advertiser_id)
    if advertiser.status == "inactive":
        return advertiser  # asked twice: the same answer
    portal_users.disable(advertiser.username or advertiser.email, load_settings(SessionsSettings).sessions_table)
    inactive = advertiser.model_copy(update={"status": "inactive", "updated_at": now()})
    repository.mark_inactive(inactive, advertiser_event("deactivated", inactive, actor))
    return inactive
