"""Signing out: the session item is deleted (with its ``signed_out`` activity event, in one
transaction), so the cookie's token no longer opens anything even before it expires; the browser is
told to forget the cookie.

Cognito is not called: the portals keep neither the refresh nor the access token (nothing to
revoke), and the authorizer refuses any token whose session item is gone.
"""

from __future__ import annotations

from portal_common.auth.errors import TokenInvalid
from portal_common.auth.portals import PortalAuth
from portal_common.auth.sessions import SessionStore
from portal_common.auth.settings import SessionSettings
from portal_common.auth.verification import verified_claims
from portal_common.events import Actor, activity_event
from portal_common.outbox import Transaction
from portal_common.settings import load_settings


def session_of(portal: PortalAuth, token: str | None) -> str | None:
    """The session id in a session cookie whose token is genuine (expired or not), else None."""
    if not token:
        return None
    try:
        return verified_claims(portal, token, verify_exp=False).session_id
    except TokenInvalid:
        return None


def sign_out(portal: PortalAuth, session_id: str | None, client: Actor) -> bool:
    """End the session; False if there was none (already signed out: nothing to do)."""
    if not session_id:
        return False
    store = SessionStore(load_settings(SessionSettings).sessions_table)
    record = store.get(session_id)
    if record is None or record.portal != portal.portal:
        return False
    actor = client.model_copy(update={"kind": portal.kind, "id": record.subject_id})
    with Transaction() as tx:
        store.remove(tx, session_id)
        tx.event(activity_event(portal.portal, actor, "signed_out", portal.subject(record.subject_id)))
    return True
