"""Intake photos in the images bucket: the draft's uploads (presigned POST back to the form), and
their check by the first bytes when the form is sent."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.models import MAX_IMAGE_BYTES, MAX_PHOTOS, UPLOAD_SECONDS, VIEW_SECONDS, Draft, is_image


def draft(owner: str, draft_id: str | None) -> Draft:
    try:
        return Draft(owner=owner, draft_id=draft_id or "")
    except ValueError:
        return Draft(owner=owner, draft_id=secrets.token_hex(12))


def view_url(s3: Any, bucket: str, key: str, content_type: str = "image/jpeg") -> str:
    return str(
        s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=VIEW_SECONDS,
        )
    )


def draft_photos(s3: Any, bucket: str, photo_draft: Draft) -> list[dict[str, Any]]:
    answer = s3.list_objects_v2(Bucket=bucket, Prefix=photo_draft.prefix, MaxKeys=MAX_PHOTOS * 2)
    objects = sorted(answer.get("Contents", []), key=lambda o: o["LastModified"])
    return [{"key": o["Key"], "size": o["Size"], "url": view_url(s3, bucket, o["Key"])} for o in objects]


def upload_form(
    s3: Any, bucket: str, key: str, redirect_url: str | None = None, content_type: str | None = None
) -> dict[str, Any]:
    fields = {"Content-Type": content_type or "image/jpeg"}
    conditions: list[Any] = [
        ["content-length-range", 1, MAX_IMAGE_BYTES],
        {"Content-Type": content_type} if content_type else ["starts-with", "$Content-Type", "image/"],
    ]
    if redirect_url:
        fields["success_action_redirect"] = redirect_url
        conditions.append({"success_action_redirect": redirect_url})
    post = s3.generate_presigned_post(
        Bucket=bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=UPLOAD_SECONDS
    )
    return {"url": post["url"], "fields": post["fields"], "max_bytes": MAX_IMAGE_BYTES}


def intake_photos(s3: Any, bucket: str, owner: str, draft_id: str | None, form_url: str) -> dict[str, Any]:
    """The intake form's photo part: the draft's photos so far, and an upload form while there is room
    (its redirect comes back to ``form_url`` with the draft)."""
    photo_draft = draft(owner, draft_id)
    found = draft_photos(s3, bucket, photo_draft)
    back = f"{form_url}?draft={photo_draft.draft_id}"
    room = len(found) < MAX_PHOTOS
    upload = upload_form(s3, bucket, photo_draft.prefix + secrets.token_hex(8), back) if room else None
    return {"photos": found, "upload": upload, "draft_id": photo_draft.draft_id}


def verified(s3: Any, bucket: str, photo_draft: Draft) -> list[dict[str, Any]]:
    """The draft's photos that are images by their bytes; anything else is deleted."""
    kept: list[dict[str, Any]] = []
    answer = s3.list_objects_v2(Bucket=bucket, Prefix=photo_draft.prefix, MaxKeys=MAX_PHOTOS * 2)
    for obj in sorted(answer.get("Contents", []), key=lambda o: o["LastModified"]):
        head = s3.get_object(Bucket=bucket, Key=obj["Key"], Range="bytes=0-31")["Body"].read()
        if not is_image(head) or obj["Size"] > MAX_IMAGE_BYTES or len(kept) >= MAX_PHOTOS:
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
            continue
        kept.append({"key": obj["Key"], "content_type": "image/jpeg", "size": obj["Size"]})
    return kept
