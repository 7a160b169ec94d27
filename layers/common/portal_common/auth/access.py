"""The access window: an account may be given a first and a last day (custom:access_start and
custom:access_end, ISO dates, both days included, UTC); an empty value leaves that side open."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal_common.auth.errors import AccessEnded, AccessNotStarted, AccountNotSetUp
from portal_common.auth.portals import PortalAuth


def today() -> date:
    return datetime.now(UTC).date()


def _day(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def parse_day(value: str | None) -> date | None:
    """An access date as stored; ValueError if it is not an ISO date."""
    if value is None or not value.strip():
        return None
    return date.fromisoformat(value.strip())


def check_access_window(portal: PortalAuth, start: str | None, end: str | None, on: date, *, email: str = "") -> None:
    """Raises AccessNotStarted / AccessEnded when ``on`` is outside the window."""
    try:
        first, last = parse_day(start), parse_day(end)
    except ValueError:
        raise AccountNotSetUp(
            f"The access dates of your {portal.name} account are not set up correctly.",
            next_step=f"Please contact {portal.contact}.",
            email=email,
        ) from None
    if first is not None and on < first:
        raise AccessNotStarted(
            f"Your access to the {portal.name} starts on {_day(first)}.",
            next_step=f"Please sign in on or after that day. If you need access sooner, contact {portal.contact}.",
            email=email,
        )
    if last is not None and on > last:
        raise AccessEnded(
            f"Your access to the {portal.name} ended on {_day(last)}.",
            next_step=f"If you still need access, please contact {portal.contact}.",
            email=email,
        )
