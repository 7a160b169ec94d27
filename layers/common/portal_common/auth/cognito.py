"""The one module that talks to the Cognito user pools for signing in (the CRM's account
administration is in accounts.py). Cognito's error codes become our typed refusals here.

Every answer to a wrong email or a wrong password is the same (no user enumeration; the app clients
also have PreventUserExistenceErrors). A disabled account is told so: Cognito says "User is
disabled." before it checks the password.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.auth.errors import (
    AccountDisabled,
    AccountNotSetUp,
    ChallengeExpired,
    CodeRejected,
    PasswordRejected,
    PasswordResetRequired,
    SignInRefused,
    TooManyAttempts,
    WrongCredentials,
)
from portal_common.auth.passwords import PASSWORD_RULES
from portal_common.auth.portals import PortalAuth
from portal_common.observability import logger

NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105 - a challenge name
MOTO_CODE_HEADER = "x-moto-forgot-password-confirmation-code"


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class NewPasswordChallenge:
    """The account still has its temporary password: Cognito wants a new one first."""

    username: str
    session: str


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _too_many(portal: PortalAuth, email: str) -> TooManyAttempts:
    return TooManyAttempts(
        "There have been too many attempts for this account.",
        next_step=f"Please wait 15 minutes, then try again. If it keeps happening, contact {portal.contact}.",
        email=email,
    )


def _sign_in_refusal(portal: PortalAuth, exc: ClientError, email: str) -> SignInRefused | None:
    code, message = _code(exc), _message(exc).lower()
    if code == "NotAuthorizedException" and "disabled" in message:
        return AccountDisabled(
            f"Your {portal.name} account has been disabled, so you cannot sign in.",
            next_step=f"If you think this is a mistake, please contact {portal.contact}.",
            email=email,
        )
    if code == "NotAuthorizedException" and "attempts exceeded" in message:
        return _too_many(portal, email)
    if code in ("NotAuthorizedException", "UserNotFoundException", "InvalidParameterException"):
        return WrongCredentials(
            "The email address or the password is not correct.",
            next_step="Check them and try again, or choose a new password with 'Forgot your password?'.",
            email=email,
        )
    if code == "PasswordResetRequiredException":
        return PasswordResetRequired(
            "Your password has been reset by us, so it no longer works.",
            next_step="Use 'Forgot your password?' to choose a new one with a code we email to you.",
            email=email,
        )
    if code == "UserNotConfirmedException":
        return AccountNotSetUp(
            "Your account has not been confirmed yet.", next_step=f"Please contact {portal.contact}.", email=email
        )
    if code in ("LimitExceededException", "TooManyFailedAttemptsException"):
        return _too_many(portal, email)
    return None


def _tokens(result: dict[str, str | int]) -> Tokens:
    return Tokens(
        id_token=str(result["IdToken"]),
        access_token=str(result["AccessToken"]),
        expires_in=int(result.get("ExpiresIn") or 3600),
    )


def _outcome(portal: PortalAuth, answer: dict, email: str) -> Tokens | NewPasswordChallenge:  # type: ignore[type-arg]
    if answer.get("AuthenticationResult"):
        return _tokens(answer["AuthenticationResult"])
    if answer.get("ChallengeName") == NEW_PASSWORD_REQUIRED:
        username = (answer.get("ChallengeParameters") or {}).get("USERNAME") or email
        return NewPasswordChallenge(username=str(username), session=str(answer["Session"]))
    logger.warning("unsupported sign-in challenge", extra={"challenge": answer.get("ChallengeName")})
    raise AccountNotSetUp(
        "Your account needs a sign-in step this portal does not support.",
        next_step=f"Please contact {portal.contact}.",
        email=email,
    )


def password_sign_in(portal: PortalAuth, client_id: str, email: str, password: str) -> Tokens | NewPasswordChallenge:
    try:
        answer = aws.client("cognito-idp").initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as exc:
        refusal = _sign_in_refusal(portal, exc, email)
        if refusal is None:
            raise
        raise refusal from None
    return _outcome(portal, answer, email)


def answer_new_password(
    portal: PortalAuth, client_id: str, challenge: NewPasswordChallenge, new_password: str, email: str
) -> Tokens | NewPasswordChallenge:
    try:
        answer = aws.client("cognito-idp").respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName=NEW_PASSWORD_REQUIRED,
            Session=challenge.session,
            ChallengeResponses={"USERNAME": challenge.username, "NEW_PASSWORD": new_password},
        )
    except ClientError as exc:
        code = _code(exc)
        if code == "InvalidPasswordException":
            raise PasswordRejected(
                "This password does not meet our password rules.",
                field_errors={"new_password": PASSWORD_RULES},
                email=email,
            ) from None
        if code in (
            "NotAuthorizedException",
            "CodeMismatchException",
            "ExpiredCodeException",
            "ResourceNotFoundException",
        ):
            refusal = _sign_in_refusal(portal, exc, email) if "disabled" in _message(exc).lower() else None
            raise refusal or ChallengeExpired(
                "Setting your new password took too long.",
                next_step="Please sign in again with your temporary password.",
                email=email,
            ) from None
        raise
    return _outcome(portal, answer, email)


def send_reset_code(portal: PortalAuth, client_id: str, email: str) -> None:
    """Cognito emails a code to the account's address; an unknown address is answered the same way."""
    try:
        answer = aws.client("cognito-idp").forgot_password(ClientId=client_id, Username=email)
    except ClientError as exc:
        code = _code(exc)
        if code in ("UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"):
            # unknown, disabled, or still on its temporary password: same answer as a sent code
            logger.info("reset code not sent", extra={"reason": code})
            return
        if code in ("LimitExceededException", "TooManyRequestsException"):
            raise _too_many(portal, email) from None
        raise
    moto_code = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(MOTO_CODE_HEADER)
    if moto_code:  # only the embedded AWS of the local stack says it: it sends no email
        logger.info("local stack: password reset code", extra={"reset_code": moto_code})


def reset_password(portal: PortalAuth, client_id: str, email: str, code: str, new_password: str) -> None:
    try:
        aws.client("cognito-idp").confirm_forgot_password(
            ClientId=client_id, Username=email, ConfirmationCode=code, Password=new_password
        )
    except ClientError as exc:
        error = _code(exc)
        if error == "InvalidPasswordException":
            raise PasswordRejected(
                "This password does not meet our password rules.",
                field_errors={"new_password": PASSWORD_RULES},
                email=email,
            ) from None
        if error in (
            "CodeMismatchException",
            "ExpiredCodeException",
            "UserNotFoundException",
            "ResourceNotFoundException",
            "NotAuthorizedException",
        ):
            raise CodeRejected(
                "This code is not valid for this email address, or it has expired.",
                field_errors={"code": "Check the code in our latest email, or ask for a new one."},
                next_step="Ask for a new code if the one you have is older than one hour.",
                email=email,
            ) from None
        if error in ("LimitExceededException", "TooManyFailedAttemptsException"):
            raise _too_many(portal, email) from None
        raise
