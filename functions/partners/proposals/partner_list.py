"""A partner's list of proposals: only its own, only those sent to it, newest first, by pages.

Filters (all served by an index; see proposals.queries): the account owner; a quick range of the
sending date (today, the last 7 or 30 days, this month, this year; UTC); the opportunity name
(case-insensitive, from its first letters). The search bar of the page refines what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from clock import now

from proposals import queries, store
from proposals.models import ProposalPage

RangeName = Literal["", "today", "7d", "30d", "month", "year"]
RANGES: dict[str, str] = {
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "month": "This month",
    "year": "This year",
}


def range_start(name: str, at: datetime) -> datetime | None:
    """The first moment of a quick range (UTC), or None for no range."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if name == "today":
        return midnight
    if name == "7d":
        return at - timedelta(days=7)
    if name == "30d":
        return at - timedelta(days=30)
    if name == "month":
        return midnight.replace(day=1)
    if name == "year":
        return midnight.replace(month=1, day=1)
    return None


@dataclass(frozen=True)
class ListView:
    page: ProposalPage
    owners: list[str]


def list_for_partner(
    partner_id: str, *, owner: str = "", range_name: str = "", opportunity: str = "", cursor: str | None = None
) -> ListView:
    filters = queries.Filters(
        owner=owner.strip(), since=range_start(range_name, now()), opportunity=opportunity.strip()
    )
    page = queries.partner_page(partner_id, filters, cursor)
    return ListView(
        page=ProposalPage(items=[queries.summary(row) for row in page.rows], next_cursor=page.next_cursor),
        owners=store.owners(partner_id),
    )
