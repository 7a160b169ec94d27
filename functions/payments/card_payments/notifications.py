"""The receipt of a payment: its PDF and its email, made once per payment by the receipt mailer
(send_receipt.py), which reads the ``card_payment.succeeded`` events of the outbox stream.

Whoever records the payment (the attempt that charged, the webhook, a reconciliation) commits that
event in the same transaction as the payment, so no paid invoice goes without its receipt, and the
customer's answer does not wait for the PDF or the email. A failed step fails the stream record,
which is delivered again until it passes. The email is claimed before it is sent and marked sent
after: a redelivery skips a sent one, and fails (to come again) while another delivery's claim is
fresh; a claim left by a sender that stopped is taken over once stale, so no receipt is lost. The
one way to a second email: marking it sent fails and the event is delivered again after the claim
went stale. Templates: templates/emails/payment_receipt.*
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from portal_common.crm_contracts.payments import CardPaymentAttempt
from portal_common.mail import send_email
from portal_common.observability import logger

from . import money, receipts, repository
from .brands import brand_label
from .links import receipt_link
from .models import Invoice
from .states import EVENT_TYPES, Outcome

PAID_EVENT = EVENT_TYPES[Outcome.SUCCEEDED]


class ReceiptEmailInProgress(Exception):
    """Another delivery of the same event claimed the email and has not finished: try again later."""


def send_receipt(invoice: Invoice, base_url: str) -> str | None:
    payment = invoice.payment
    if payment is None:
        return None
    message_id = send_email(
        invoice.customer_email,
        "payment_receipt",
        {
            "customer_name": invoice.customer_name,
            "invoice_number": invoice.number,
            "amount": money.format_amount(invoice.amount_minor, invoice.currency),
            "paid_at": payment.paid_at.strftime("%Y-%m-%d %H:%M UTC"),
            "card": f"{brand_label(payment.card.brand)} ending in {payment.card.last4}",
            "reference": payment.charge_id,
            "receipt_url": receipt_link(base_url, invoice.number),
        },
    )
    logger.info("receipt email sent", extra={"invoice": invoice.number, "message_id": message_id})
    return message_id


def deliver_receipt(event_type: str, event_json: str) -> str | None:
    """One ``card_payment.succeeded`` event: store the receipt PDF, then email it (once). Returns the
    email's message id, or None when there was nothing (more) to send."""
    if event_type != PAID_EVENT:
        return None
    attempt = CardPaymentAttempt.model_validate(json.loads(event_json)["data"])
    invoice = repository.get_invoice(attempt.invoice_number)
    payment = invoice.payment if invoice else None
    if invoice is None or payment is None or payment.charge_id != attempt.processor_charge_id:
        logger.warning("no such payment for a receipt", extra={"invoice": attempt.invoice_number})
        return None
    receipts.store(invoice)  # the same key every time: a redelivery overwrites it with the same PDF
    now = datetime.now(UTC)
    claim = repository.claim_receipt_email(invoice.number, payment.charge_id, now)
    if claim == "sent":
        logger.info("receipt email already sent", extra={"invoice": invoice.number})
        return None
    if claim == "sending":  # fail the record: the stream delivers it again, and the claim ends
        raise ReceiptEmailInProgress(f"the receipt email of {invoice.number} is being sent by another delivery")
    try:
        message_id = send_receipt(invoice, invoice.portal_url or "")
    except Exception:
        try:
            repository.release_receipt_email(invoice.number, payment.charge_id)
        except Exception:  # the claim stays: it is taken over once stale (RECEIPT_CLAIM_SECONDS)
            logger.exception("receipt email claim not released", extra={"invoice": invoice.number})
        raise
    try:
        repository.confirm_receipt_email(invoice.number, payment.charge_id, message_id, now)
    except Exception:  # the email went out: failing the record would send it again once the claim is stale
        logger.exception("receipt email sent but not marked sent", extra={"invoice": invoice.number})
    return message_id
