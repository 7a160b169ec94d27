"""Reading one archived message (raw MIME, as SES inbound writes it to the archive bucket).

Only what the index needs: every address in From, To, Cc and Reply-To (normalised like a lead's
key, leads.email_key), the subject, when it was received, its Message-ID and the start of its text.
Archived mail comes from anyone, so nothing here trusts it: a malformed header gives fewer
addresses, never an error, and an address that is not valid is skipped.

When it was received: the newest ``Received:`` header (the receiving server's own clock, which is
SES's for inbound mail), else the ``Date:`` header (the sender's claim), else the time the archive
stored it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from leads.email_key import InvalidEmail, email_key

from correspondence.models import ArchivedMessage

ADDRESS_HEADERS = ("from", "to", "cc", "reply-to")
SNIPPET_CHARS = 280
SUBJECT_CHARS = 300
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class ParsedMessage:
    message: ArchivedMessage
    addresses: frozenset[str] = field(default_factory=frozenset)  # every normalised address in it


def _one_line(value: object, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _header_values(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in (msg.get_all(name) or [])]
    except Exception:
        return []


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, normalised address) of one header, invalid ones skipped, in order, no repeats."""
    found: list[tuple[str, str]] = []
    for display, address in getaddresses(_header_values(msg, name)):
        try:
            key = email_key(address)
        except InvalidEmail:
            continue
        if all(key != k for _, k in found):
            found.append((_one_line(display, 120), key))
    return found


def _when(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _received_at(msg: Message, stored_at: datetime) -> datetime:
    received = _header_values(msg, "received")
    if received and ";" in received[0]:  # the newest Received: header is the first one
        moment = _when(received[0].rsplit(";", 1)[1])
        if moment is not None:
            return moment
    for date in _header_values(msg, "date")[:1]:
        moment = _when(date)
        if moment is not None:
            return moment
    return stored_at.astimezone(UTC)


def _snippet(msg: Message) -> str:
    body = msg.get_body(preferencelist=("plain", "html")) if isinstance(msg, EmailMessage) else None
    if body is None:
        return ""
    try:
        text = body.get_content()
    except (LookupError, KeyError, ValueError, AssertionError):  # unknown charset or a broken part
        payload = body.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(text, str):
        return ""
    if body.get_content_subtype() == "html":
        text = _TAGS.sub(" ", text)
    return _one_line(text, SNIPPET_CHARS)


def parse_message(raw: bytes, *, bucket: str, key: str, stored_at: datetime) -> ParsedMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    by_header = {name: _addresses(msg, name) for name in ADDRESS_HEADERS}
    sender = (by_header["from"] or [("", "")])[0]
    message_id = _one_line(" ".join(_header_values(msg, "message-id")[:1]), 300) or None
    try:
        snippet = _snippet(msg)
    except Exception:
        snippet = ""
    archived = ArchivedMessage(
        message_key=key,
        bucket=bucket,
        received_at=_received_at(msg, stored_at),
        subject=_one_line(" ".join(_header_values(msg, "subject")[:1]), SUBJECT_CHARS),
        from_address=sender[1],
        from_name=sender[0],
        to=[a for _, a in by_header["to"]],
        cc=[a for _, a in by_header["cc"]],
        message_id=message_id,
        snippet=snippet,
    )
    addresses = frozenset(a for found in by_header.values() for _, a in found)
    return ParsedMessage(message=archived, addresses=addresses)
