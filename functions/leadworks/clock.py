"""Time, in one place: UTC, and the sortable ISO form stored in DynamoDB keys."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Sortable as text: UTC, microseconds, always the same width."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
