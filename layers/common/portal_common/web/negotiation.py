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
