"""Who is asking: a browser (pages) or an API client (JSON)."""

from __future__ import annotations

from typing import Any


def header(event: Any, name: str) -> str:
    headers = getattr(event, "headers", None) or {}
    return headers.get(name.lower()) or headers.get(name) or ""


def wants_json(event: Any) -> bool:
    """JSON when the client asks for it (Accept) or speaks it (Content-Type) and does not ask for HTML."""
    accept = header(event, "accept").lower()
    if "text/html" in accept:
        return False
    if "application/json" in accept:
        return True
    return "application/json" in header(event, "content-type").lower()


def origin(event: Any) -> str:
    """scheme://host the caller reached us at (links and redirects point back to the same API).
    The Host header, not requestContext.domainName: behind a custom domain or locally they differ."""
    host = header(event, "host") or (event.get("requestContext") or {}).get("domainName")
    scheme = header(event, "x-forwarded-proto") or "https"
    return f"{scheme}://{host}"
