"""What happens when an upload lands in the images bucket (S3 ObjectCreated -> make_thumbnail).

Every upload is checked by its bytes (JPEG, PNG, GIF or WebP, and decodable); anything else is
deleted at once, whatever type the browser declared. A good one gets a JPEG thumbnail beside it
(thumbs/...). A proposal's image is then recorded on its proposal, with its CRM event; an intake
photo (RPH or lead form, not sent yet) needs nothing more: the form checks its draft when sent.

Only keys under uploads/ are handled: the thumbnails this function writes notify it too, and are
ignored. S3 may deliver an event twice: recording is conditional, so nothing is recorded twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from proposals import writes
from proposals.models import Image

from portal_common import images
from portal_common.crm_contracts.partners import ProposalImageAdded
from portal_common.errors import NotFound
from portal_common.events import Actor, CrmEvent
from portal_common.observability import logger

PROPOSAL_IMAGE = re.compile(r"uploads/proposals/(?P<proposal_id>[A-Za-z0-9-]{3,40})/(?P<image_id>[a-f0-9]{16})")
INTAKE_PHOTO = re.compile(r"uploads/intake/[a-z]+-[A-Za-z0-9_-]{1,64}/[a-z0-9]{24}/[a-f0-9]{16}")
SYSTEM = Actor(kind="system", id="thumbnails")


@dataclass(frozen=True)
class Outcome:
    key: str
    result: str  # ignored | rejected | thumbnail | recorded | duplicate


def process_upload(key: str, uploaded_at: datetime) -> Outcome:
    proposal_image = PROPOSAL_IMAGE.fullmatch(key)
    if not proposal_image and not INTAKE_PHOTO.fullmatch(key):
        return Outcome(key, "ignored")
    try:
        data, size = images.read_object(key)
    except NotFound:
        return Outcome(key, "ignored")  # deleted meanwhile
    kind = images.sniff(data[:32]) if data else None
    thumbnail = None
    if kind is not None:
        try:
            thumbnail = images.make_thumbnail(data)
        except images.NotAnImage:
            thumbnail = None
    if kind is None or thumbnail is None:
        logger.warning("upload rejected: not an image", extra={"key": key, "size": size})
        images.delete(key)
        return Outcome(key, "rejected")
    thumb_key = images.put_thumbnail(key, thumbnail.data)
    if not proposal_image:
        return Outcome(key, "thumbnail")
    proposal_id, image_id = proposal_image["proposal_id"], proposal_image["image_id"]
    image = Image(
        image_id=image_id,
        key=key,
        thumb_key=thumb_key,
        content_type=kind,
        size=size,
        width=thumbnail.width,
        height=thumbnail.height,
        uploaded_at=uploaded_at,
    )
    event = CrmEvent(
        type="external_proposal.image_added",
        portal="partners",
        actor=SYSTEM,
        subject=f"external_proposal:{proposal_id}",
        data=ProposalImageAdded(proposal_id=proposal_id, image_id=image_id, content_type=kind, size=size).model_dump(
            mode="json"
        ),
    )
    try:
        recorded = writes.add_image(proposal_id, image, event)
    except NotFound:
        logger.warning("image of an unknown proposal deleted", extra={"key": key})
        images.delete(key)
        images.delete(thumb_key)
        return Outcome(key, "rejected")
    return Outcome(key, "recorded" if recorded else "duplicate")
