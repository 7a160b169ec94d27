"""The uncovered-ZIP report: proposals no partner could take, grouped by their ZIP code."""

from __future__ import annotations

from datetime import datetime

from proposals import queries
from proposals.models import UncoveredReport, UncoveredZip


def uncovered_zips(cursor: str | None = None) -> UncoveredReport:
    """One page of unassigned proposals (newest first), grouped by ZIP code."""
    page = queries.unassigned_page(cursor)
    groups: dict[str, UncoveredZip] = {}
    for row in page.rows:
        created = datetime.fromisoformat(row["created_at"])
        group = groups.setdefault(
            row["zip"], UncoveredZip(zip=row["zip"], proposals=[], oldest=created, newest=created)
        )
        group.proposals.append(row["proposal_id"])
        group.oldest = min(group.oldest, created)
        group.newest = max(group.newest, created)
    return UncoveredReport(zips=sorted(groups.values(), key=lambda g: g.zip), next_cursor=page.next_cursor)
