"""Registering a partner: the rules.

- A partner has exactly one ZIP code and a ZIP code at most one (active) partner. The ZIP claim is
  written in the same DynamoDB transaction as the partner, conditionally, so two registrations on
  one ZIP at once cannot both win (registry.repository).
- Registering creates the partner's portal user (custom:partner_id = the partner id). The user is
  made first; if the partner then cannot be stored (ZIP taken meanwhile) the user is removed again,
  so a refused registration leaves nothing behind.
"""

from __future__ import annotations

from clock import now

from portal_common.events import Actor
from registry import portal_users, repository
from registry.events import partner_event
from registry.models import Partner, PartnerRegistration, new_partner_id


def register_partner(request: PartnerRegistration, actor: Actor) -> Partner:
    if repository.zip_holder(request.zip) is not None:  # the common refusal, before a user is made
        raise repository.zip_taken(request.zip)
    partner_id = request.partner_id or new_partner_id()
    username = portal_users.create(request.email, partner_id, request.temporary_password)
    at = now()
    partner = Partner(
        partner_id=partner_id,
        company_name=request.company_name,
        contact_name=request.contact_name,
        email=request.email,
        phone=request.phone,
        zip=request.zip,
        username=username,
        created_at=at,
        updated_at=at,
    )
    try:
        repository.add_partner(partner, partner_event("registered", partner, actor))
    except BaseException:
        portal_users.remove(username)
        raise
    return partner
