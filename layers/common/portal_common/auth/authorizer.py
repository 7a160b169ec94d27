"""The Lambda REQUEST authorizer of every protected route of a portal (payload 2.0, simple
responses). Allowed only when all of these hold, checked in this order:

1. the ``__Host-<portal>-session`` cookie holds an ID token of this portal's pool and client (signature,
   issuer, audience, expiry, token use: tokens.py);
2. its session item exists (not signed out), belongs to this portal and this user, and has been
   neither idle longer than SESSION_IDLE_MINUTES nor alive longer than SESSION_MAX_HOURS;
3. today is inside the account's access window.

The context handed to the route is exactly portal_common.web.identity.Identity. A caller that
fails a check is not denied here (HTTP APIs answer a denial with a bare JSON 403 a browser user
cannot act on): it is passed on marked signed out (``SIGNED_OUT`` and the portal's sign-in page),
and the portal's resolver refuses it before any route runs: a browser asking for a page is sent to
sign in and back, anyone else gets 401 (portal_common.web.identity.refuse_signed_out).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_common.auth.access import check_access_window, today
from portal_common.auth.cookies import session_name
from portal_common.auth.errors import SignInRefused, TokenInvalid
from portal_common.auth.portals import PortalAuth
from portal_common.auth.sessions import SessionStore, end_reason, needs_touch
from portal_common.auth.settings import SessionSettings
from portal_common.auth.verification import verified_claims
from portal_common.observability import logger, tracer
from portal_common.settings import load_settings
from portal_common.web.cookies import read_cookie
from portal_common.web.identity import SIGNED_OUT, Identity


class Denied(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _cookie_header(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    return headers.get("cookie") or headers.get("Cookie")


def identify(portal: PortalAuth, event: dict[str, Any], now: int | None = None) -> Identity:
    """The caller's identity; Denied (with the reason, for the logs) otherwise."""
    now = int(time.time()) if now is None else now
    token = read_cookie(event.get("cookies"), _cookie_header(event), session_name(portal.portal))
    if not token:
        raise Denied("no session cookie")
    try:
        claims = verified_claims(portal, token)
    except TokenInvalid as exc:
        raise Denied(f"token: {exc.reason}") from None
    settings = load_settings(SessionSettings)
    store = SessionStore(settings.sessions_table)
    record = store.get(claims.session_id)
    if record is None:
        raise Denied("no session (signed out or expired)")
    if record.portal != portal.portal or record.user_sub != claims.sub:
        raise Denied("session of another portal or user")
    reason = end_reason(record, now, settings.idle_seconds, settings.max_seconds)
    if reason:
        raise Denied(f"session over: {reason}")
    try:
        check_access_window(portal, claims.access_start, claims.access_end, today())
    except SignInRefused as exc:
        raise Denied(f"access window: {exc.code}") from None
    if needs_touch(record, now):
        store.touch(record.session_id, now)
    return Identity(
        kind=portal.kind,
        subject_id=record.subject_id,
        user_sub=record.user_sub,
        email=record.email,
        session_id=record.session_id,
    )


def authorize(portal: PortalAuth, event: dict[str, Any]) -> dict[str, Any]:
    try:
        identity = identify(portal, event)
    except Denied as denied:
        logger.info("signed out", extra={"reason": denied.reason, "route": event.get("routeKey")})
        context = {**SIGNED_OUT, "sign_in": portal.url("sign-in")}
        return APIGatewayAuthorizerResponseV2(authorize=True, context=context).asdict()
    logger.append_keys(session_id=identity.session_id)
    return APIGatewayAuthorizerResponseV2(authorize=True, context=identity.model_dump()).asdict()


def authorizer_handler(portal: PortalAuth) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The portal's authorizer ``lambda_handler``."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return authorize(portal, event)

    return lambda_handler
