"""Page cursors of the lists and reports: opaque to the caller, base64url JSON of where the last page
ended. Each list names its own kind, and a cursor made for another list is refused.

A cursor only positions a Query inside the partition the caller may read: the partition always comes
from the caller (the signed-in partner, the report's own query), never from the cursor, so editing
one reaches nothing else. A cursor that cannot be read is a 400 saying to start again.
"""

from __future__ import annotations

import base64
import binascii
import json

from portal_common.errors import BadRequest

KIND = "i"  # the key naming the cursor's list in its document


def encode(kind: str, position: dict[str, str]) -> str:
    raw = json.dumps({KIND: kind, **position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, kind: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The position ``fields`` of a cursor made by ``encode(kind, ...)``; BadRequest for anything else."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(doc, dict) or doc.get(KIND) != kind:
            raise ValueError
        position = {name: doc[name] for name in fields}
        if not all(isinstance(value, str) for value in position.values()):
            raise ValueError
        return position
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "This page link is out of date.", next_step="Go back to the first page of the list and try again."
        ) from None
