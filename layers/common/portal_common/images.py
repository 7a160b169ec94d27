"""Images in the images bucket: browser uploads by presigned POST, checks after upload, thumbnails,
and short-lived presigned GETs to show them.

Keys (template: ImagesBucket; one layout for every portal):
    uploads/<kind>/<...>/<image id>     originals, written only by presigned POSTs (never by us)
    thumbs/<kind>/<...>/<image id>.jpg  thumbnails, written by the thumbnail function

A presigned POST limits what the browser may send: the exact key, a Content-Type starting with
``image/``, a size within ``content-length-range`` and a short expiry. The Content-Type a browser
declares proves nothing, so every upload is checked again after it lands, by its first bytes
(``sniff``): what is not a JPEG, PNG, GIF or WebP is deleted and never shown. Images are always
served with the type their bytes prove (``ResponseContentType``), never the one declared.

A view URL is reused for a minute (``VIEW_REUSE_SECONDS``) by the process that signed it: pages seen
again show the same URLs, so the browser's cache serves the images, and signing (~0.35 ms a URL) is
done once. A reused URL still has at least 4 of its 5 minutes to live. It is only ever shown after
the caller's access to the object was checked, as a fresh one is.
"""

from __future__ import annotations

import io
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.errors import NotFound
from portal_common.settings import Settings, load_settings

UPLOADS = "uploads/"
THUMBS = "thumbs/"
MAX_IMAGE_BYTES = 10 * 1024 * 1024
UPLOAD_EXPIRY_SECONDS = 600
VIEW_EXPIRY_SECONDS = 300
VIEW_REUSE_SECONDS = 60
_VIEW_URLS_KEPT = 512
THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill the function's memory
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


class ImagesSettings(Settings):
    images_bucket: str


def bucket() -> str:
    return load_settings(ImagesSettings).images_bucket


def sniff(head: bytes) -> str | None:
    """The image type the first bytes prove, or None: the check made after every upload."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def thumb_key(original_key: str) -> str:
    return THUMBS + original_key.removeprefix(UPLOADS) + ".jpg"


@dataclass(frozen=True)
class UploadForm:
    """What a browser (or the CRM) needs to POST one file straight into the bucket."""

    url: str
    fields: dict[str, str]
    key: str
    expires_in: int
    max_bytes: int
    accept: tuple[str, ...] = field(default=IMAGE_TYPES)


def upload_form(
    key: str,
    *,
    content_type: str | None = None,
    redirect_url: str | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
    expires_in: int = UPLOAD_EXPIRY_SECONDS,
) -> UploadForm:
    """A presigned POST for exactly ``key``: an image type, at most ``max_bytes``, for ``expires_in``.

    ``content_type`` pins the declared type (API clients); without it any ``image/*`` is accepted and
    the form starts with image/jpeg (a browser form's script sets the file's own type).
    ``redirect_url``: where S3 sends the browser after the upload (303, with bucket, key and etag
    appended), so a page with no script can upload too.
    """
    if not key.startswith(UPLOADS):
        raise ValueError("uploads go under uploads/")
    fields: dict[str, str] = {"Content-Type": content_type or "image/jpeg"}
    conditions: list[Any] = [
        ["content-length-range", 1, max_bytes],
        {"Content-Type": content_type} if content_type else ["starts-with", "$Content-Type", "image/"],
    ]
    if redirect_url:
        fields["success_action_redirect"] = redirect_url
        conditions.append({"success_action_redirect": redirect_url})
    post = aws.client("s3").generate_presigned_post(
        Bucket=bucket(), Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )
    return UploadForm(url=post["url"], fields=dict(post["fields"]), key=key, expires_in=expires_in, max_bytes=max_bytes)


_view_urls: OrderedDict[tuple[str, str, str, int], tuple[float, str]] = OrderedDict()


def forget_view_urls() -> None:
    """Sign anew from now on (tests that swap the bucket, the endpoint or the credentials)."""
    _view_urls.clear()


def view_url(key: str, content_type: str, *, expires_in: int = VIEW_EXPIRY_SECONDS) -> str:
    """A short-lived GET of one object, served with the type its bytes proved (never the declared one);
    the same URL for a minute (VIEW_REUSE_SECONDS)."""
    served_as = content_type if content_type in IMAGE_TYPES else "application/octet-stream"
    where, now = bucket(), time.monotonic()
    cache_key = (where, key, served_as, expires_in)
    kept = _view_urls.get(cache_key)
    if kept is not None and now - kept[0] < min(VIEW_REUSE_SECONDS, expires_in / 5):
        return kept[1]
    url = str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": where,
                "Key": key,
                "ResponseContentType": served_as,
                "ResponseContentDisposition": "inline",
            },
            ExpiresIn=expires_in,
        )
    )
    _view_urls[cache_key] = (now, url)
    _view_urls.move_to_end(cache_key)
    while len(_view_urls) > _VIEW_URLS_KEPT:
        _view_urls.popitem(last=False)
    return url


def list_keys(prefix: str, limit: int = 100) -> list[dict[str, Any]]:
    """Objects under a prefix (an upload draft holds a handful): [{key, size, last_modified}]."""
    answer = aws.client("s3").list_objects_v2(Bucket=bucket(), Prefix=prefix, MaxKeys=limit)
    return [
        {"key": o["Key"], "size": int(o["Size"]), "last_modified": o["LastModified"]}
        for o in answer.get("Contents", [])
    ]


def read_head(key: str, length: int = 32) -> bytes | None:
    """The first bytes of an object, or None when it is gone."""
    try:
        answer = aws.client("s3").get_object(Bucket=bucket(), Key=key, Range=f"bytes=0-{length - 1}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
            return None
        raise
    return bytes(answer["Body"].read())


def read_object(key: str, limit: int = MAX_IMAGE_BYTES) -> tuple[bytes, int]:
    """(bytes, size) of an upload; NotFound when it is gone, refused when larger than ``limit``."""
    s3 = aws.client("s3")
    try:
        answer = s3.get_object(Bucket=bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise NotFound("That image is gone.") from exc
        raise
    size = int(answer.get("ContentLength") or 0)
    if size > limit:
        answer["Body"].close()
        return b"", size
    return bytes(answer["Body"].read()), size


def delete(key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket(), Key=key)


def put_thumbnail(original_key: str, data: bytes) -> str:
    key = thumb_key(original_key)
    aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=data, ContentType="image/jpeg")
    return key


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int


class NotAnImage(ValueError):
    """The bytes do not decode as a safe image."""


def make_thumbnail(data: bytes, size: tuple[int, int] = THUMBNAIL_SIZE) -> Thumbnail:
    """A JPEG thumbnail (upright by its EXIF orientation, metadata dropped) and the original's size."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # Pillow: only the thumbnail function loads it

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure check before decoding pixels
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            img.seek(0)
            upright = ImageOps.exif_transpose(img)
            upright.thumbnail(size)
            out = io.BytesIO()
            upright.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(str(exc)) from exc
    return Thumbnail(data=out.getvalue(), width=width, height=height)
