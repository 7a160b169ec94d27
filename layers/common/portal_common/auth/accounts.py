"""Portal accounts, for the CRM side (the Partners and Leadworks /crm/ registration routes):
create a user, enable or disable it, change its attributes. Cognito admin APIs.

The user name is the email address (the pools use ``UsernameAttributes: [email]``); Cognito answers
with its own internal user name (a UUID), which also works wherever a ``username`` is asked for.

Attributes are Cognito names: ``custom:partner_id`` / ``custom:advertiser_id`` (what the user owns),
``custom:access_start`` / ``custom:access_end`` (ISO dates, both days included; empty = open).

IAM the calling function needs, on its user pool's ARN: cognito-idp:AdminCreateUser,
AdminEnableUser, AdminDisableUser, AdminUserGlobalSignOut, AdminUpdateUserAttributes,
AdminDeleteUserAttributes, AdminGetUser. To end the user's portal sessions at once (pass
``sessions_table``): dynamodb:Query on SessionsTable's index ByUser and dynamodb:DeleteItem on
SessionsTable. Without it, a disabled user's open session lasts until its token expires.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.auth.access import parse_day
from portal_common.auth.passwords import PASSWORD_RULES
from portal_common.auth.sessions import SessionStore
from portal_common.errors import Conflict, NotFound, ValidationFailed

ACCESS_ATTRIBUTES = ("custom:access_start", "custom:access_end")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _check_access_dates(attributes: Mapping[str, str]) -> None:
    problems = {}
    for name in ACCESS_ATTRIBUTES:
        if name in attributes:
            try:
                parse_day(attributes[name])
            except ValueError:
                problems[name] = "Use an ISO date (YYYY-MM-DD), or leave it empty for no limit."
    if problems:
        raise ValidationFailed("The access dates are not valid.", field_errors=problems)


def _not_found(exc: ClientError) -> NotFound | None:
    if _code(exc) == "UserNotFoundException":
        return NotFound("There is no portal user with this name.")
    return None


def create_portal_user(
    pool_id: str, email: str, attributes: Mapping[str, str], temporary_password: str | None = None
) -> str:
    """Create the user (email verified) and return Cognito's user name for it. Cognito emails the
    temporary password (its own, when none is given); the first sign-in asks for a new one."""
    _check_access_dates(attributes)
    user_attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    user_attributes += [{"Name": k, "Value": v} for k, v in attributes.items() if v != ""]
    request: dict[str, object] = {
        "UserPoolId": pool_id,
        "Username": email,
        "UserAttributes": user_attributes,
        "DesiredDeliveryMediums": ["EMAIL"],
    }
    if temporary_password:
        request["TemporaryPassword"] = temporary_password
    try:
        answer = aws.client("cognito-idp").admin_create_user(**request)
    except ClientError as exc:
        code = _code(exc)
        if code in ("UsernameExistsException", "AliasExistsException"):
            raise Conflict("A portal user with this email address already exists.") from exc
        if code == "InvalidPasswordException":
            raise ValidationFailed(
                "The temporary password does not meet the password rules.",
                field_errors={"temporary_password": PASSWORD_RULES},
            ) from exc
        if code == "InvalidParameterException":
            raise ValidationFailed("Cognito refused the user's details.", field_errors={"email": "Check it."}) from exc
        raise
    return str(answer["User"]["Username"])


def end_sessions(sessions_table: str, pool_id: str, username: str) -> int:
    """End every portal session of the user now; returns how many there were."""
    try:
        user = aws.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        raise (_not_found(exc) or exc) from exc
    sub = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), None)
    return SessionStore(sessions_table).remove_all_of_user(sub) if sub else 0


def set_user_enabled(pool_id: str, username: str, enabled: bool, *, sessions_table: str | None = None) -> None:
    """Enable or disable the user. A disabled user cannot sign in; its refresh tokens are revoked and,
    with ``sessions_table``, its open portal sessions end at once."""
    idp = aws.client("cognito-idp")
    try:
        if enabled:
            idp.admin_enable_user(UserPoolId=pool_id, Username=username)
            return
        idp.admin_disable_user(UserPoolId=pool_id, Username=username)
        idp.admin_user_global_sign_out(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        raise (_not_found(exc) or exc) from exc
    if sessions_table:
        end_sessions(sessions_table, pool_id, username)


def update_user_attributes(
    pool_id: str, username: str, attributes: Mapping[str, str], *, sessions_table: str | None = None
) -> None:
    """Set attributes; an empty value removes the attribute (e.g. an access date: no limit).
    With ``sessions_table``, the user's open sessions end (their tokens carry the old values)."""
    _check_access_dates(attributes)
    idp = aws.client("cognito-idp")
    values = [{"Name": k, "Value": v} for k, v in attributes.items() if v != ""]
    removed = [k for k, v in attributes.items() if v == ""]
    try:
        if values:
            idp.admin_update_user_attributes(UserPoolId=pool_id, Username=username, UserAttributes=values)
        if removed:
            idp.admin_delete_user_attributes(UserPoolId=pool_id, Username=username, UserAttributeNames=removed)
    except ClientError as exc:
        if _code(exc) == "AliasExistsException":
            raise Conflict("Another portal user already has this email address.") from exc
        raise (_not_found(exc) or exc) from exc
    if sessions_table:
        end_sessions(sessions_table, pool_id, username)
