"""The signed links of the payments portal (portal_common.links): one to pay, one for the receipt.

    pay:      /payments/pay/<token>        subject = invoice number, 60 days (sent with the invoice)
    receipt:  /payments/receipts/<token>   subject = invoice number, 400 days (sent in the receipt email)

An expired payment link shows a 410 page that says to ask for a new one; the CRM gets a fresh link
from PUT or GET /crm/payments/invoices/{number}.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from portal_common.links import sign_link, verify_link
from portal_common.web.negotiation import header

from .models import PaymentLink

PAY = "pay"
RECEIPT = "receipt"
PAY_LINK_SECONDS = 60 * 24 * 3600
RECEIPT_LINK_SECONDS = 400 * 24 * 3600
PAY_LINK_EXPIRED = (
    "Please ask us for a new payment link: reply to the email that brought you here, or call us. Nothing was charged."
)
RECEIPT_LINK_EXPIRED = "Please ask us for a copy of your receipt: reply to the email that brought you here."


def portal_url(app: APIGatewayHttpResolver) -> str:
    """The public base URL this request came through (https on AWS; the local gateway's http locally)."""
    event = app.current_event
    context = event.get("requestContext") or {}
    host = header(event, "host") or context.get("domainName") or "localhost"
    scheme = header(event, "x-forwarded-proto") or "https"
    return f"{scheme.split(',')[0].strip()}://{host}"


def origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def pay_link(base_url: str, invoice_number: str, now: float | None = None) -> PaymentLink:
    moment = now if now is not None else time.time()
    token = sign_link(PAY, invoice_number, PAY_LINK_SECONDS, now=moment)
    return PaymentLink(
        url=f"{base_url}/payments/pay/{token}",
        expires_at=datetime.fromtimestamp(int(moment + PAY_LINK_SECONDS), UTC),
    )


def receipt_link(base_url: str, invoice_number: str) -> str:
    return f"{base_url}/payments/receipts/{sign_link(RECEIPT, invoice_number, RECEIPT_LINK_SECONDS)}"


def invoice_of_pay_link(token: str) -> str:
    return verify_link(token, PAY, expired_next_step=PAY_LINK_EXPIRED).subject


def invoice_of_receipt_link(token: str) -> str:
    return verify_link(token, RECEIPT, expired_next_step=RECEIPT_LINK_EXPIRED).subject
