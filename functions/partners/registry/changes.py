"""Changing and deactivating a partner: the rules.

- A new ZIP code moves the partner's claim in one transaction: refused (409) when another partner
  holds it, and by the claim's condition when another request takes it at the same moment.
- A new email address changes the portal user's sign-in too; its open sessions end.
- Deactivating disables the portal user first (fail closed: its sessions end at once), then marks the
  partner inactive and releases its ZIP: new proposals there are unassigned until another partner
  takes it.
"""

from __future__ import annotations

from clock import now

from portal_common.errors import Conflict
from portal_common.events import Actor
from registry import portal_access, repository
from registry.events import partner_event
from registry.models import Partner, PartnerChanges


def change_partner(partner_id: str, changes: PartnerChanges, actor: Actor) -> Partner:
    before = repository.get_partner(partner_id)
    if before.status != "active":
        raise Conflict("This partner is deactivated; register it again to give it a ZIP code.")
    update = changes.model_dump(exclude_unset=True)
    after = before.model_copy(update={**update, "updated_at": now()})
    if after.zip != before.zip and repository.zip_holder(after.zip) not in (None, partner_id):
        raise repository.zip_taken(after.zip)
    if after.email != before.email:
        portal_access.change_email(before.username or before.email, after.email)
    repository.save_changes(before, after, partner_event("updated", after, actor, changed=sorted(update)))
    return after


def deactivate_partner(partner_id: str, actor: Actor) -> Partner:
    partner = repository.get_partner(partner_id)
    if partner.status == "inactive":
        return partner  # asked twice: the same answer
    portal_access.set_enabled(partner.username or partner.email, False)
    at = now()
    inactive = partner.model_copy(update={"status": "inactive", "updated_at": at})
    repository.mark_inactive(partner, at, partner_event("deactivated", inactive, actor))
    return inactive
