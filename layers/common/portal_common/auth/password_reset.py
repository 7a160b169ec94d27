"""Forgotten password: Cognito emails a code to the account's address, the person types it with a
new password. The answer to the first step is the same whether the address has an account or not."""

from __future__ import annotations

from portal_common.auth import cognito
from portal_common.auth.portals import PortalAuth
from portal_common.auth.settings import PoolSettings
from portal_common.settings import load_settings


def send_code(portal: PortalAuth, email: str) -> None:
    cognito.send_reset_code(portal, load_settings(PoolSettings).user_pool_client_id, email)


def choose_new_password(portal: PortalAuth, email: str, code: str, new_password: str) -> None:
    cognito.reset_password(portal, load_settings(PoolSettings).user_pool_client_id, email, code, new_password)
