"""Reading the CSV file of a bulk upload from the request.

- A browser form posts ``multipart/form-data`` (the file, and the CSRF token, checked here against
  the signed-in session like every other form).
- An API client posts the file itself as ``text/csv``. No CSRF token is needed: text/csv is not a
  type a cross-site form can send, so a browser would ask the API first (CORS), and it answers no
  such question.

The body is read as bytes (API Gateway sends a file base64-encoded); its text is decoded later
(leads.csv_rows), so a file saved in Windows-1252 is read, not refused.
"""

from __future__ import annotations

import base64
import binascii
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from leads.csv_rows import MAX_BYTES

from portal_common.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from portal_common.web import csrf
from portal_common.web.forms import check_csrf
from portal_common.web.identity import Identity
from portal_common.web.negotiation import header

MAX_BODY = MAX_BYTES + 64 * 1024  # the file and the form around it


def _body(app: APIGatewayHttpResolver) -> bytes:
    event = app.current_event
    raw = event.get("body") or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
    except (binascii.Error, ValueError):
        raise BadRequest("The request body could not be read.") from None
    if len(data) > MAX_BODY:
        raise PayloadTooLarge(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it and upload each part."
        )
    return data


def _parts(content_type: str, body: bytes) -> dict[str, Message]:
    # compat32: the email package's plain parser. Its modern policies parse every header into objects
    # (about 1 ms for this two-field form, half the route's budget); only two parameters are read here.
    document = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    payload = document.get_payload()
    if not document.is_multipart() or not isinstance(payload, list):
        raise BadRequest("The form could not be read.")
    parts: dict[str, Message] = {}
    for part in payload:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in parts:
            parts[name] = part
    return parts


def _file_name(part: Message) -> str | None:
    """The file's name as the browser meant it. Browsers send it as UTF-8 bytes, which the parser
    keeps (in the raw header) as surrogate escapes: decoded as UTF-8 before the name is read."""
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == "content-disposition"), None)
    if raw is None:
        return None
    disposition = Message()
    disposition["Content-Disposition"] = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return disposition.get_filename()


def uploaded_csv(app: APIGatewayHttpResolver, identity: Identity) -> tuple[bytes, str]:
    """(the file's bytes, its name) from a form post (CSRF-checked) or a text/csv body."""
    content_type = header(app.current_event, "content-type")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return _body(app), "upload.csv"
    if kind != "multipart/form-data":
        raise UnsupportedMediaType("Send the file from the upload form, or as text/csv.")
    parts = _parts(content_type, _body(app))
    token = parts.get(csrf.FIELD)
    submitted = token.get_payload(decode=True) if token is not None else None
    check_csrf(app, submitted.decode("ascii", "replace") if isinstance(submitted, bytes) else None, identity.session_id)
    file = parts.get("file")
    data = file.get_payload(decode=True) if file is not None else None
    if not isinstance(data, bytes) or not data.strip():
        raise ValidationFailed("Choose a CSV file to upload.", field_errors={"file": "Choose a CSV file to upload"})
    return data, (_file_name(file) if file is not None else None) or "upload.csv"
