"""Cookies the portals set: always __Host- prefixed, Secure, HttpOnly, SameSite, Path=/."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from aws_lambda_powertools.shared.cookies import Cookie, SameSite


def host_cookie(name: str, value: str, *, max_age: int | None = None, strict: bool = False) -> Cookie:
    """__Host- demands Secure, Path=/ and no Domain. Browsers treat http://127.0.0.1 as a secure
    context, so the same cookie works on the local stack."""
    return Cookie(
        name=f"__Host-{name}",
        value=value,
        path="/",
        secure=True,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.STRICT_MODE if strict else SameSite.LAX_MODE,
    )


def expired_cookie(name: str) -> Cookie:
    return host_cookie(name, "", max_age=0)


def read_cookie(cookies: list[str] | None, cookie_header: str | None, name: str) -> str | None:
    """Our cookie's value from a payload-v2 event's ``cookies`` list (or a raw Cookie header)."""
    jar: SimpleCookie = SimpleCookie()
    raw = "; ".join(cookies) if cookies else (cookie_header or "")
    try:
        jar.load(raw)
    except CookieError:  # a malformed Cookie header is the same as none
        return None
    morsel = jar.get(f"__Host-{name}")
    return morsel.value if morsel is not None and morsel.value else None
