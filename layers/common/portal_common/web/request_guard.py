"""Requests turned away before a route reads them: too large, of a kind the route does not read, or
a JSON body that is not JSON. Each gets a 4xx with a clear message (JSON for API clients, a page for
browsers) instead of reaching the route's parser (Powertools validation would answer an unreadable
body with an unhandled error, i.e. a 500).

- Every route: a body larger than MAX_BODY_BYTES (1 MB) answers 413. A CSV upload sent to its own
  route (multipart/form-data or text/csv) may be larger: that route applies its own, larger limit.
  Photos and documents never pass through here (they go to S3 with presigned POSTs).
- Routes whose handler takes a JSON model (a Powertools body parameter): the body must be sent as
  application/json (415 otherwise) and be UTF-8 JSON (400 otherwise).
Form routes (read_form/read_json) check their own content types, with a tighter limit.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from portal_common.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from portal_common.web.negotiation import header

MAX_BODY_BYTES = 1024 * 1024
# A file upload route reads these kinds itself, with its own limit (Lambda's request limit is 6 MB)
FILE_KINDS = ("multipart/form-data", "text/csv", "application/csv")
# A lone surrogate can only arrive as a JSON escape (UTF-8 has no form for one): \\uD800-\\uDFFF
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def raw_body(event: Any) -> bytes:
    """The request body as bytes (API Gateway sends a binary body base64-encoded). ``event``: the
    resolver's current event (or the event dict)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The request body could not be read.") from None
    return body.encode("utf-8", "surrogateescape")


def check_request(event: Any, takes_json_body: bool) -> None:
    """Raise the typed error a request too large or unreadable for its route deserves. ``event``:
    the resolver's current event."""
    if not event.get("body"):
        return
    kind = header(event, "content-type").split(";", 1)[0].strip().lower()
    data = raw_body(event)
    if len(data) > MAX_BODY_BYTES and kind not in FILE_KINDS:
        raise PayloadTooLarge(f"The request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB.")
    if not takes_json_body:
        return
    if kind not in ("", "application/json"):
        raise UnsupportedMediaType("Send the request body as application/json.")
    text = _utf8(data)
    try:
        # Powertools' event caches this parse (a cached_property), so request validation reuses it
        event.json_body  # noqa: B018
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(event.json_body)


def parse_json(data: bytes) -> Any:
    """A JSON body: UTF-8, valid JSON, and no lone surrogate (a \\ud800 escape) in any text, which
    could be stored but never shown or sent again (it has no UTF-8 form)."""
    text = _utf8(data)
    try:
        doc = json.loads(text)
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(doc)
    return doc


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None


def _refuse_lone_surrogates(doc: Any) -> None:
    """Escaped surrogates are fine in pairs (they decode to one character); a lone one is not."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The request body has text that is not valid Unicode (a lone surrogate).") from None
