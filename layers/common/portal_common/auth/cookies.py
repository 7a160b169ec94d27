"""The sign-in cookies (portal_common.web.cookies.host_cookie: __Host-, Secure, HttpOnly, SameSite=Lax).

Each portal has its own: ``__Host-<portal>-session`` holds the Cognito ID token, and
``__Host-<portal>-challenge`` holds, for three minutes, the signed Cognito challenge of a first
sign-in (until the new password is chosen). ``__Host-`` cookies all have ``Path=/`` on the one API
host, so only their names keep the portals apart: signing in to Leadworks in the same browser does
not sign a partner out of the Partners portal.
"""

from __future__ import annotations

from aws_lambda_powertools.shared.cookies import Cookie

from portal_common.web.cookies import expired_cookie, host_cookie


def session_name(portal: str) -> str:
    return f"{portal}-session"


def challenge_name(portal: str) -> str:
    return f"{portal}-challenge"


def session_cookie(portal: str, id_token: str, max_age: int) -> Cookie:
    return host_cookie(session_name(portal), id_token, max_age=max_age)


def challenge_cookie(portal: str, challenge: str, max_age: int) -> Cookie:
    return host_cookie(challenge_name(portal), challenge, max_age=max_age)


def forget_session(portal: str) -> Cookie:
    return expired_cookie(session_name(portal))


def forget_challenge(portal: str) -> Cookie:
    return expired_cookie(challenge_name(portal))
