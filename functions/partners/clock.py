"""Time as the Partners portal stores it: UTC, ISO 8601 with microseconds and a Z, always the same
width, so that stored timestamps sort as text (sort keys: sent_at, created_at)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
