"""RFC 8058 one-click unsubscribe: recognising the mail client's POST.

The client POSTs ``List-Unsubscribe=One-Click`` to the List-Unsubscribe URI, as
application/x-www-form-urlencoded or multipart/form-data, with no cookies. It must get a 2xx, and no
redirect is followed.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import HTTP
from urllib.parse import parse_qsl

MAX_BYTES = 8 * 1024


def is_one_click(content_type: str, body: bytes) -> bool:
    if len(body) > MAX_BYTES:
        return False
    ctype = content_type.lower()
    if "application/x-www-form-urlencoded" in ctype:
        try:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (ValueError, UnicodeDecodeError):
            return False
        return ("List-Unsubscribe", "One-Click") in fields
    if "multipart/form-data" in ctype:
        message = message_from_bytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body, policy=HTTP
        )
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            if part.get_param("name", header="content-disposition") == "List-Unsubscribe" and isinstance(
                payload, bytes
            ):
                return payload.strip() == b"One-Click"
    return False
