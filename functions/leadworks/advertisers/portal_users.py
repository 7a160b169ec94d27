"""The advertisers' Leadworks users (Cognito, AdvertisersUserPool).

Creating and disabling users is the sign-in package's (portal_common.auth.accounts); this module
names the pool and takes back a user whose registration did not commit.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.auth import accounts
from portal_common.settings import Settings, load_settings

ADVERTISER_ID_ATTRIBUTE = "custom:advertiser_id"


class AdvertiserPoolSettings(Settings):
    user_pool_id: str


def _pool() -> str:
    return load_settings(AdvertiserPoolSettings).user_pool_id


def create(email: str, advertiser_id: str, access: dict[str, str], temporary_password: str | None) -> str:
    """The advertiser's user (custom:advertiser_id links it to the advertiser); returns its user name."""
    attributes = {ADVERTISER_ID_ATTRIBUTE: advertiser_id, **access}
    return accounts.create_portal_user(_pool(), email, attributes, temporary_password)


def remove(username: str) -> None:
    """Undo ``create`` (the registration did not commit). Gone already is fine."""
    try:
        aws.client("cognito-idp").admin_delete_user(UserPoolId=_pool(), Username=username)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise


def disable(username: str, sessions_table: str) -> None:
    """No more sign-in, and the user's open sessions (in ``sessions_table``) end now."""
    accounts.set_user_enabled(_pool(), username, False, sessions_table=sessions_table)
