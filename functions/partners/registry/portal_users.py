"""Creating the partners' portal users (Cognito PartnersUserPool, via portal_common.auth.accounts),
and taking back a user whose registration lost its ZIP race."""

from __future__ import annotations

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.auth import accounts
from portal_common.settings import Settings, load_settings

PARTNER_ID_ATTRIBUTE = "custom:partner_id"


class PartnerPoolSettings(Settings):
    user_pool_id: str


def _pool() -> str:
    return load_settings(PartnerPoolSettings).user_pool_id


def create(email: str, partner_id: str, temporary_password: str | None) -> str:
    """The partner's portal user (custom:partner_id links it to the partner); returns its user name."""
    return accounts.create_portal_user(_pool(), email, {PARTNER_ID_ATTRIBUTE: partner_id}, temporary_password)


def remove(username: str) -> None:
    """Undo ``create`` (the registration did not commit). Gone already is fine."""
    try:
        aws.client("cognito-idp").admin_delete_user(UserPoolId=_pool(), Username=username)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise
