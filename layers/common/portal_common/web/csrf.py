"""CSRF protection for every state-changing form: a signed double-submit token.

The token is ``<nonce>.<signature>``: a random nonce signed (HMAC, portal_common.keys) together with
what it is bound to (the sign-in session id, or "anonymous" before sign-in). It is set in a
``__Host-`` cookie and repeated in the form's hidden ``csrf_token`` field; a POST passes only
when both are present, equal, and the signature holds for the caller's binding. A cross-site page
can make the browser send the cookie but cannot read it to put it in the form.

Each part of the site has its own cookie, named after the first segment of the page's path
(``__Host-partners-csrf`` for /partners/..., ``__Host-csrf`` for a page at /): a token bound to a
Leadworks session does not replace the Partners portal's, so a form left open in one portal still
posts after the other portal was used in the same browser.

JSON requests (Content-Type: application/json) need no token: a browser cannot send them across
sites without a CORS preflight, and the API answers no preflight.
"""

from __future__ import annotations

import base64
import hmac
import secrets

from aws_lambda_powertools.shared.cookies import Cookie

from portal_common.errors import CsrfRejected
from portal_common.keys import KeyRing, key_ring
from portal_common.web.cookies import host_cookie

COOKIE = "csrf"
FIELD = "csrf_token"
ANONYMOUS = "anonymous"


def _bytes(text: str) -> bytes:
    """compare_digest refuses str with non-ASCII characters (a TypeError): compare the bytes."""
    return text.encode("utf-8", "surrogatepass")


def _signature(ring: KeyRing, nonce: str, binding: str, key_id: str) -> str:
    raw = ring.sign("csrf", f"{nonce}|{binding}".encode(), key_id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _valid(ring: KeyRing, token: str, binding: str) -> bool:
    try:
        nonce, key_id, signature = token.split(".")
    except ValueError:
        return False
    try:
        expected = _signature(ring, nonce, binding, key_id)
    except KeyError:  # signed with a key that is no longer in the ring
        return False
    return hmac.compare_digest(_bytes(expected), _bytes(signature))


def cookie_name(path: str) -> str:
    """The CSRF cookie's name (without ``__Host-``) for a page at ``path``."""
    section = path.lstrip("/").split("/", 1)[0]
    named = section.isascii() and section.replace("-", "").isalnum()  # our routes' first segments
    return f"{section}-{COOKIE}" if named else COOKIE


def issue(cookie_value: str | None, binding: str = ANONYMOUS, name: str = COOKIE) -> tuple[str, Cookie | None]:
    """The token to put in the form, and the cookie to set (None when the current one is still good)."""
    ring = key_ring()
    if cookie_value and _valid(ring, cookie_value, binding):
        return cookie_value, None
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{ring.current_id}.{_signature(ring, nonce, binding, ring.current_id)}"
    return token, host_cookie(name, token, strict=False)


def verify(cookie_value: str | None, submitted: str | None, binding: str = ANONYMOUS) -> None:
    if not cookie_value or not submitted or not hmac.compare_digest(_bytes(cookie_value), _bytes(submitted)):
        raise CsrfRejected("This form has expired or was not sent from our site. Please reload the page and try again.")
    if not _valid(key_ring(), submitted, binding):
        raise CsrfRejected("This form has expired. Please reload the page and try again.")
