"""Signed links: one mechanism for every link we put in an email (pay, unsubscribe, quote, notice).

A token is ``<payload>.<signature>``, both base64url: the payload is compact JSON of purpose (p),
subject (s), expiry (e, epoch seconds) and key id (k); the signature is HMAC-SHA256 over the payload
with the purpose's key (portal_common.keys). Verification is constant-time; a tampered token is a
LinkInvalid (403 page), an expired one a LinkExpired (410 page that says what to do next).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass

from portal_common.errors import LinkExpired, LinkInvalid
from portal_common.keys import KeyRing, key_ring


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    subject: str
    expires_at: int


def sign_link(
    purpose: str, subject: str, ttl_seconds: int, *, ring: KeyRing | None = None, now: float | None = None
) -> str:
    ring = ring or key_ring()
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    payload = json.dumps(
        {"p": purpose, "s": subject, "e": expires, "k": ring.current_id}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(ring.sign('link:' + purpose, payload))}"


def verify_link(
    token: str,
    purpose: str,
    *,
    expired_next_step: str | None = None,
    ring: KeyRing | None = None,
    now: float | None = None,
) -> LinkClaims:
    ring = ring or key_ring()
    try:
        payload_b64, signature_b64 = token.split(".")
        payload = _unb64(payload_b64)
        signature = _unb64(signature_b64)
        # only the canonical spelling: base64 ignores a last character's spare bits, and a link with
        # any one character changed must be refused
        if _b64(payload) != payload_b64 or _b64(signature) != signature_b64:
            raise ValueError("not canonical base64url")
        claims = json.loads(payload)
        key_id = str(claims["k"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise LinkInvalid("This link is not valid. Please use the link exactly as it was sent to you.") from None
    if not isinstance(claims, dict) or not ring.verify("link:" + purpose, payload, signature, key_id):
        raise LinkInvalid("This link is not valid. Please use the link exactly as it was sent to you.")
    if claims.get("p") != purpose:
        raise LinkInvalid("This link is not valid here.")
    expires = int(claims["e"])
    if expires < (now if now is not None else time.time()):
        raise LinkExpired(
            "This link has expired.",
            next_step=expired_next_step or "Please ask us for a new link: reply to the email that brought you here.",
        )
    return LinkClaims(purpose=purpose, subject=str(claims["s"]), expires_at=expires)
