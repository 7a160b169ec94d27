"""Why a sign-in (or a step of it) was refused. Each message is written for the person signing in
and says what to do; none tells a stranger whether an account exists.

``page`` says how a browser is answered: "form" shows the form it came from again with the message
(the person can fix it: wrong password, a mistyped code, a password the rules refuse); "sign_in"
shows the sign-in form (start again); "refused" a page of its own that explains why (account
disabled, access window closed) and what to do next. API clients get the JSON error.
"""

from __future__ import annotations

from typing import Literal

from portal_common.errors import PortalError, Unauthorized


class SignInRefused(PortalError):
    status, code, title = 401, "sign_in_refused", "We could not sign you in"
    page: Literal["form", "sign_in", "refused"] = "form"

    def __init__(self, message: str | None = None, *, email: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.email = email


class WrongCredentials(SignInRefused):
    code, title = "wrong_credentials", "Email or password not recognised"


class TooManyAttempts(SignInRefused):
    status, code, title = 429, "too_many_attempts", "Too many attempts"
    page = "refused"


class AccountDisabled(SignInRefused):
    status, code, title = 403, "account_disabled", "Your account is disabled"
    page = "refused"


class AccessNotStarted(SignInRefused):
    status, code, title = 403, "access_not_started", "Your access has not started yet"
    page = "refused"


class AccessEnded(SignInRefused):
    status, code, title = 403, "access_ended", "Your access has ended"
    page = "refused"


class AccountNotSetUp(SignInRefused):
    status, code, title = 403, "account_not_set_up", "Your account is not ready yet"
    page = "refused"


class PasswordResetRequired(SignInRefused):
    status, code, title = 403, "password_reset_required", "Please choose a new password"
    page = "refused"


class ChallengeExpired(SignInRefused):
    """The first-sign-in password change took too long (or its cookie is gone): sign in again."""

    code, title = "challenge_expired", "Please sign in again"
    page = "sign_in"


class CodeRejected(SignInRefused):
    status, code, title = 422, "code_rejected", "The code is not valid"


class PasswordRejected(SignInRefused):
    status, code, title = 422, "password_rejected", "Please choose another password"


class TokenInvalid(Unauthorized):
    """A session cookie that does not hold a valid ID token of this portal (reason: for the logs)."""

    code = "token_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__("Please sign in.")
        self.reason = reason


class TokenExpired(TokenInvalid):
    code = "token_expired"

    def __init__(self) -> None:
        super().__init__("expired")
