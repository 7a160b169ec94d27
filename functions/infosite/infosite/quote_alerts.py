"""Who is told about a quote request, and the alert email.

The contact's owner (the staff user the CRM assigned) when there is one; otherwise the fallback
list of the QuoteAlertRecipients template parameter (comma-separated emails).
"""

from __future__ import annotations

from typing import Any

from portal_common import mail
from portal_common.settings import Settings, load_settings

from .contacts import Contact
from .quotes import QuoteRequest

EMAIL_TEMPLATE = "quote_alert"


class AlertSettings(Settings):
    quote_alert_recipients: str

    def fallback(self) -> list[str]:
        return [a.strip() for a in self.quote_alert_recipients.split(",") if a.strip()]


def recipients(contact: Contact) -> list[str]:
    return [contact.owner] if contact.owner else load_settings(AlertSettings).fallback()


def send_alert(contact: Contact, quote: QuoteRequest) -> str:
    context: dict[str, Any] = {
        "contact": contact.model_dump(),
        "quote": quote.model_dump(),
        "record": quote.record,
        "is_owner": bool(contact.owner),
    }
    return mail.send_email(quote.assigned_to, EMAIL_TEMPLATE, context, reply_to=contact.email)
