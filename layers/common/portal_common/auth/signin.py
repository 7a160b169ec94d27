"""Signing in: the password (and, the first time, a new password), then the session.

A session starts only when everything holds: Cognito accepted the password, the ID token verifies,
the account belongs to this portal (it has the portal's subject claim) and today is inside its
access window. The session item and its ``signed_in`` activity event are written in one transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from portal_common.auth import cognito
from portal_common.auth.access import check_access_window, today
from portal_common.auth.errors import AccountNotSetUp, ChallengeExpired, WrongCredentials
from portal_common.auth.portals import PortalAuth
from portal_common.auth.sessions import SessionRecord, SessionStore
from portal_common.auth.settings import PoolSettings, SessionSettings
from portal_common.auth.verification import verified_claims
from portal_common.errors import LinkExpired, LinkInvalid
from portal_common.events import Actor, activity_event
from portal_common.links import sign_link, verify_link
from portal_common.outbox import Transaction
from portal_common.settings import load_settings

CHALLENGE_PURPOSE = "cognito-new-password"
CHALLENGE_SECONDS = 180  # Cognito's challenge session lasts 3 minutes


@dataclass(frozen=True)
class SignedIn:
    session: SessionRecord
    id_token: str
    cookie_seconds: int  # how long the browser keeps the cookie


@dataclass(frozen=True)
class NewPasswordNeeded:
    challenge: str  # signed: the Cognito challenge session and the email, for the new-password page


def _pool() -> PoolSettings:
    return load_settings(PoolSettings)


def _sessions() -> SessionSettings:
    return load_settings(SessionSettings)


def start_session(portal: PortalAuth, tokens: cognito.Tokens, email: str, client: Actor) -> SignedIn:
    claims = verified_claims(portal, tokens.id_token)
    if not claims.subject_id:
        raise AccountNotSetUp(
            f"Your account is not linked to the {portal.name} yet.",
            next_step=f"Please contact {portal.contact}.",
            email=email,
        )
    check_access_window(portal, claims.access_start, claims.access_end, today(), email=email)
    settings = _sessions()
    now = int(time.time())
    expires_at = min(now + settings.max_seconds, claims.expires_at)
    record = SessionRecord(
        session_id=claims.session_id,
        portal=portal.portal,
        user_sub=claims.sub,
        subject_id=claims.subject_id,
        email=claims.email or email,
        created_at=now,
        last_seen=now,
        expires_at=expires_at,
    )
    actor = client.model_copy(update={"kind": portal.kind, "id": claims.subject_id})
    with Transaction() as tx:
        SessionStore(settings.sessions_table).add(tx, record)
        tx.event(activity_event(portal.portal, actor, "signed_in", portal.subject(claims.subject_id)))
    return SignedIn(session=record, id_token=tokens.id_token, cookie_seconds=max(expires_at - now, 0))


def _challenge_token(challenge: cognito.NewPasswordChallenge, email: str) -> str:
    subject = json.dumps({"u": challenge.username, "s": challenge.session, "e": email}, separators=(",", ":"))
    return sign_link(CHALLENGE_PURPOSE, subject, CHALLENGE_SECONDS)


def open_challenge(token: str | None) -> tuple[cognito.NewPasswordChallenge, str]:
    """The challenge and the email from the new-password page's cookie; ChallengeExpired if gone."""
    expired = ChallengeExpired(
        "Setting your new password took too long.", next_step="Please sign in again with your temporary password."
    )
    if not token:
        raise expired
    try:
        claims = verify_link(token, CHALLENGE_PURPOSE)
        doc = json.loads(claims.subject)
        return cognito.NewPasswordChallenge(username=str(doc["u"]), session=str(doc["s"])), str(doc["e"])
    except (LinkInvalid, LinkExpired, ValueError, KeyError, TypeError):
        raise expired from None


def _outcome(
    portal: PortalAuth, answer: cognito.Tokens | cognito.NewPasswordChallenge, email: str, client: Actor
) -> SignedIn | NewPasswordNeeded:
    if isinstance(answer, cognito.NewPasswordChallenge):
        return NewPasswordNeeded(challenge=_challenge_token(answer, email))
    return start_session(portal, answer, email, client)


def sign_in(portal: PortalAuth, email: str, password: str, client: Actor) -> SignedIn | NewPasswordNeeded:
    answer = cognito.password_sign_in(portal, _pool().user_pool_client_id, email, password)
    return _outcome(portal, answer, email, client)


def complete_new_password(
    portal: PortalAuth, challenge_token: str | None, new_password: str, client: Actor
) -> SignedIn | NewPasswordNeeded:
    challenge, email = open_challenge(challenge_token)
    client_id = _pool().user_pool_client_id
    try:
        answer = cognito.answer_new_password(portal, client_id, challenge, new_password, email)
    except ChallengeExpired as expired:
        # Cognito takes a challenge's answer once. The form sent again after an error answer (the
        # session could not be stored once the password was set) finds it used: its new password
        # is the password now, and signs in. Otherwise the challenge did expire.
        try:
            answer = cognito.password_sign_in(portal, client_id, email, new_password)
        except WrongCredentials:
            raise expired from None
        if isinstance(answer, cognito.NewPasswordChallenge):
            raise expired from None
    return _outcome(portal, answer, email, client)
