"""Indexing the mail archive: each archived message under every address in it, and attached to the
lead of each address that has one.

The order matters (leads.attachments): the message goes into the index first, and only then are
the leads looked up, read consistently. A lead written meanwhile reads the index after its own
write, so between the two every message reaches its lead, and exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leads import attachments
from leads import repository as leads

from correspondence import archive, mail_index
from correspondence.parsing import parse_message


@dataclass(frozen=True)
class Indexed:
    key: str
    addresses: int = 0
    attached_to: tuple[str, ...] = ()  # lead ids
    skipped: str | None = None


def index_archived_message(bucket: str, key: str, stored_at: datetime) -> Indexed:
    if not key.startswith(archive.ARCHIVE_PREFIX):
        return Indexed(key, skipped="not an archived message")
    raw = archive.read_message(bucket, key)
    if raw is None:
        return Indexed(key, skipped="gone from the archive")
    parsed = parse_message(raw, bucket=bucket, key=key, stored_at=stored_at)
    if not parsed.addresses:
        return Indexed(key, skipped="no address in it")
    mail_index.put_message(parsed)
    attached = []
    for owner in leads.owners_of(parsed.addresses).values():
        if attachments.attach_missing(owner, [parsed.message]):
            attached.append(owner.lead_id)
    return Indexed(key, addresses=len(parsed.addresses), attached_to=tuple(attached))
