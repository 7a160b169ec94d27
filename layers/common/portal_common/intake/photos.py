"""Photos of an intake form: uploaded straight to the images bucket, checked when the form is sent.

The browser posts each photo to S3 with a presigned POST (an image type, at most 10 MB, a 10-minute
expiry) into a draft that belongs to the signed-in owner:

    uploads/intake/<owner>/<draft id>/<photo id>

S3 then sends the browser back to the form page (``success_action_redirect``), so uploading needs no
script and no API payload limit applies. The draft id is random and rides in the page's URL; a
draft is only ever read under the caller's own owner prefix, so a guessed id reaches nothing of
anyone else's. When the form is sent, ``verified()`` checks every photo by its first bytes (the
thumbnail function does the same as soon as each lands) and deletes what is not an image.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from portal_common import images

MAX_PHOTOS = 10
_DRAFT_ID = re.compile(r"[a-z0-9]{24}")
_OWNER = re.compile(r"[a-z]+-[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class DraftPhoto:
    key: str
    size: int
    url: str  # short-lived, to show it on the form


@dataclass(frozen=True)
class Photo:
    key: str
    content_type: str
    size: int


def new_draft_id() -> str:
    return secrets.token_hex(12)


class PhotoDraft:
    """The photos one owner has uploaded for one form not yet sent."""

    def __init__(self, owner: str, draft_id: str | None = None):
        if not _OWNER.fullmatch(owner):
            raise ValueError("owner must look like 'partner-<id>'")
        self.owner = owner
        self.draft_id = draft_id if draft_id and _DRAFT_ID.fullmatch(draft_id) else new_draft_id()

    @property
    def prefix(self) -> str:
        return f"{images.UPLOADS}intake/{self.owner}/{self.draft_id}/"

    def upload_form(self, redirect_url: str) -> images.UploadForm:
        """A presigned POST for one more photo; S3 sends the browser back to ``redirect_url``."""
        return images.upload_form(self.prefix + secrets.token_hex(8), redirect_url=redirect_url)

    def photos(self) -> list[DraftPhoto]:
        return [
            DraftPhoto(key=o["key"], size=o["size"], url=images.view_url(o["key"], "image/jpeg"))
            for o in sorted(images.list_keys(self.prefix, MAX_PHOTOS * 2), key=lambda o: o["last_modified"])
        ]

    def verified(self) -> list[Photo]:
        """The draft's photos that are images by their bytes (at most MAX_PHOTOS); others are deleted."""
        kept: list[Photo] = []
        for obj in sorted(images.list_keys(self.prefix, MAX_PHOTOS * 2), key=lambda o: o["last_modified"]):
            head = images.read_head(obj["key"])
            kind = images.sniff(head) if head else None
            if kind is None or obj["size"] > images.MAX_IMAGE_BYTES or len(kept) >= MAX_PHOTOS:
                if head is not None:
                    images.delete(obj["key"])
                continue
            kept.append(Photo(key=obj["key"], content_type=kind, size=obj["size"]))
        return kept
