"""The sign-in cookies (portal_common.web.cookies.host_cookie: __Host-, Secure, HttpOnly, SameSite=Lax).

``__Host-session`` holds the Cognito ID token; ``__Host-challenge`` holds, for three minutes, the
signed Cognito challenge of a first sign-in (until the new password is chosen).
"""

from __future__ import annotations

from aws_lambda_powertools.shared.cookies import Cookie

from portal_common.web.cookies import expired_cookie, host_cookie

SESSION_COOKIE = "session"
CHALLENGE_COOKIE = "challenge"


def session_cookie(id_token: str, max_age: int) -> Cookie:
    return host_cookie(SESSION_COOKIE, id_token, max_age=max_age)


def challenge_cookie(challenge: str, max_age: int) -> Cookie:
    return host_cookie(CHALLENGE_COOKIE, challenge, max_age=max_age)


def forget_session() -> Cookie:
    return expired_cookie(SESSION_COOKIE)


def forget_challenge() -> Cookie:
    return expired_cookie(CHALLENGE_COOKIE)
