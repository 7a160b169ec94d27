"""Signed links and CSRF tokens: HMAC keys from Secrets Manager (cached five minutes per process)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from chalicelib.errors import CsrfRejected, LinkExpired, LinkInvalid

_CACHE: dict[str, tuple[float, dict[str, Any]]] = {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    def __init__(self, doc: dict[str, Any]):
        self.current_id = str(doc["current_id"])
        self.keys = {self.current_id: str(doc["secret"]).encode()}
        if doc.get("previous_id") and doc.get("previous_secret"):
            self.keys[str(doc["previous_id"])] = str(doc["previous_secret"]).encode()

    def sign(self, purpose: str, message: bytes, key_id: str | None = None) -> bytes:
        purpose_key = hmac.new(self.keys[key_id or self.current_id], purpose.encode(), hashlib.sha256).digest()
        return hmac.new(purpose_key, message, hashlib.sha256).digest()


def key_ring(secrets_client: Any, arn: str) -> KeyRing:
    cached = _CACHE.get(arn)
    if cached is None or time.monotonic() - cached[0] > 300:
        doc = json.loads(secrets_client.get_secret_value(SecretId=arn)["SecretString"])
        cached = _CACHE[arn] = (time.monotonic(), doc)
    return KeyRing(cached[1])


def sign_link(ring: KeyRing, purpose: str, subject: str, ttl: int) -> str:
    payload = json.dumps(
        {"p": purpose, "s": subject, "e": int(time.time() + ttl), "k": ring.current_id}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(ring.sign('link:' + purpose, payload))}"


def verify_link(ring: KeyRing, token: str, purpose: str, expired_next_step: str = "") -> str:
    """The link's subject; LinkInvalid (403) or LinkExpired (410) otherwise."""
    try:
        payload_b64, signature_b64 = token.split(".")
        payload, signature = _unb64(payload_b64), _unb64(signature_b64)
        if _b64(payload) != payload_b64 or _b64(signature) != signature_b64:
            raise ValueError("not canonical")
        claims = json.loads(payload)
        key_id = str(claims["k"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise LinkInvalid("This link is not valid. Please use the link exactly as it was sent to you.") from None
    if key_id not in ring.keys or not hmac.compare_digest(ring.sign("link:" + purpose, payload, key_id), signature):
        raise LinkInvalid("This link is not valid. Please use the link exactly as it was sent to you.")
    if claims.get("p") != purpose:
        raise LinkInvalid("This link is not valid here.")
    if int(claims["e"]) < time.time():
        raise LinkExpired("This link has expired.", next_step=expired_next_step or "Please ask us for a new link.")
    return str(claims["s"])


def _csrf_signature(ring: KeyRing, nonce: str, binding: str, key_id: str) -> str:
    return _b64(ring.sign("csrf", f"{nonce}|{binding}".encode(), key_id))


def _csrf_valid(ring: KeyRing, token: str, binding: str) -> bool:
    try:
        nonce, key_id, signature = token.split(".")
        return hmac.compare_digest(_csrf_signature(ring, nonce, binding, key_id), signature)
    except (ValueError, KeyError):
        return False


def issue_csrf(
    ring: KeyRing, cookie_value: str | None, binding: str = "anonymous", name: str = "csrf"
) -> tuple[str, str | None]:
    """The form's token, and the Set-Cookie value when a new one is needed."""
    if cookie_value and _csrf_valid(ring, cookie_value, binding):
        return cookie_value, None
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{ring.current_id}.{_csrf_signature(ring, nonce, binding, ring.current_id)}"
    return token, f"__Host-{name}={token}; Path=/; Secure; HttpOnly; SameSite=Lax"


def verify_csrf(ring: KeyRing, cookie_value: str | None, submitted: str | None, binding: str = "anonymous") -> None:
    if not cookie_value or not submitted or not hmac.compare_digest(cookie_value, submitted):
        raise CsrfRejected("This form has expired or was not sent from our site. Please reload the page.")
    if not _csrf_valid(ring, submitted, binding):
        raise CsrfRejected("This form has expired. Please reload the page and try again.")
