"""What the Info site's signed links stand for (portal_common.links signs and verifies them).

- ``unsubscribe``: subject = the contact id. Valid for a year: an unsubscribe link must keep working
  long after the email was sent.
- ``quote``: subject = ``<contact id>:<send id>``: the quote form of one nurture email. The send id is
  also the quote request's key, so one email's form creates at most one lead or opportunity.
"""

from __future__ import annotations

from portal_common.errors import LinkInvalid

UNSUBSCRIBE = "unsubscribe"
QUOTE = "quote"
UNSUBSCRIBE_TTL_SECONDS = 365 * 24 * 3600
QUOTE_TTL_SECONDS = 90 * 24 * 3600


def quote_subject(contact_id: str, send_id: str) -> str:
    return f"{contact_id}:{send_id}"


def parse_quote_subject(subject: str) -> tuple[str, str]:
    contact_id, sep, send_id = subject.partition(":")
    if not sep or not contact_id or not send_id:
        raise LinkInvalid("This link is not valid here.")
    return contact_id, send_id
