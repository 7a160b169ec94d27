"""The alert email of a quote request, to the staff the form chose (infosite.quotes.alert_recipients).

The form carries them in the ``<record>.created_from_quote`` event; the alert mailer
(send_quote_alert.py) reads those events from the outbox stream and emails them, once
(portal_common.sent_once, its claim item ``QUOTE_ALERT#<send id>`` beside the request). A failed
send fails the stream record, which is delivered again until the alert goes out.
"""

from __future__ import annotations

import json
from typing import Any

from portal_common import mail
from portal_common.crm_contracts.infosite import QuoteRecordCreated
from portal_common.observability import logger
from portal_common.sent_once import send_once

from . import contact_store

EMAIL_TEMPLATE = "quote_alert"
ALERT_EVENTS = frozenset({"lead.created_from_quote", "opportunity.created_from_quote"})
# An alert claimed longer ago than this (4x the mailer's 30 s timeout) and never confirmed: its sender
# stopped, maybe before mailing it; the next delivery takes the claim over and sends it
ALERT_CLAIM_SECONDS = 120


def _send(created: QuoteRecordCreated) -> str:
    contact = created.contact
    context: dict[str, Any] = {
        "contact": contact.model_dump(),
        "quote": created.request.model_dump(),
        "record": created.record,
        "is_owner": bool(contact.owner),
    }
    message_id = mail.send_email(created.assigned_to, EMAIL_TEMPLATE, context, reply_to=contact.email)
    logger.info("quote alert sent", extra={"contact_id": contact.id, "message_id": message_id})
    return message_id


def deliver_alert(event_type: str, event_json: str) -> str | None:
    """One quote's ``<record>.created_from_quote`` event: email its alert (once). Returns the email's
    message id, or None when there was nothing (more) to send."""
    if event_type not in ALERT_EVENTS:
        return None
    created = QuoteRecordCreated.model_validate(json.loads(event_json)["data"])
    table, key = contact_store.quote_alert_claim(created.contact.id, created.quote_key)
    return send_once(
        table,
        key,
        lambda: _send(created),
        stale_after=ALERT_CLAIM_SECONDS,
        what=f"the quote alert of contact {created.contact.id}",
    )
