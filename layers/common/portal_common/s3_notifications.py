"""S3 event notifications (ObjectCreated), as the functions S3 notifies read them: the bucket, the key
(S3 sends it URL-encoded, a space as "+") and when the object was stored.

Read from the event's dicts: Powertools' S3Event would import every Powertools data class (its
package imports them all, ~15 ms of a cold start) for these three fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    stored_at: datetime


def stored_objects(event: dict[str, Any]) -> list[StoredObject]:
    """The objects an S3 notification is about, in its order (a record without a time gets the epoch)."""
    found = []
    for record in event.get("Records") or []:
        s3 = record.get("s3") or {}
        when = record.get("eventTime")
        found.append(
            StoredObject(
                bucket=str((s3.get("bucket") or {}).get("name", "")),
                key=unquote_plus(str((s3.get("object") or {}).get("key", ""))),
                stored_at=datetime.fromisoformat(when) if when else _EPOCH,
            )
        )
    return found
