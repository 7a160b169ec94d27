"""A proposal as its partner is shown it (page and JSON): no internal fields, images as short-lived URLs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from portal_common import images
from proposals.models import Image, Proposal

TABS = {"main": "Main", "products": "Products", "images": "Images gallery"}


class ImageView(BaseModel):
    image_id: str
    content_type: str
    width: int
    height: int
    thumb_url: str
    url: str
    page: str
    expires_in: int


def image_view(proposal_id: str, image: Image) -> ImageView:
    return ImageView(
        image_id=image.image_id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        thumb_url=images.view_url(image.thumb_key, "image/jpeg"),
        url=images.view_url(image.key, image.content_type),
        page=f"/partners/proposals/{proposal_id}/images/{image.image_id}",
        expires_in=images.VIEW_EXPIRY_SECONDS,
    )


def image_views(proposal: Proposal) -> list[ImageView]:
    return [image_view(proposal.proposal_id, image) for image in proposal.images]


def partner_json(proposal: Proposal, views: list[ImageView]) -> dict[str, Any]:
    doc = proposal.model_dump(
        mode="json", exclude={"notice_message_id", "reviewed_by", "reviewed_at", "images", "created_at"}
    )
    doc["images"] = [v.model_dump(mode="json") for v in views]
    return doc
