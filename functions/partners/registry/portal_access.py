"""A partner's portal user after registration: disabling it (its open sessions end at once) and
changing its sign-in email (portal_common.auth.accounts on PartnersUserPool)."""

from __future__ import annotations

from portal_common.auth import accounts
from portal_common.settings import Settings, load_settings


class PartnerAccessSettings(Settings):
    user_pool_id: str
    sessions_table: str


def set_enabled(username: str, enabled: bool) -> None:
    settings = load_settings(PartnerAccessSettings)
    accounts.set_user_enabled(settings.user_pool_id, username, enabled, sessions_table=settings.sessions_table)


def change_email(username: str, email: str) -> None:
    settings = load_settings(PartnerAccessSettings)
    accounts.update_user_attributes(
        settings.user_pool_id,
        username,
        {"email": email, "email_verified": "true"},
        sessions_table=settings.sessions_table,
    )
