"""The receipt of a payment: its PDF and its email, made once per payment by the receipt mailer
(send_receipt.py), which reads the ``card_payment.succeeded`` events of the outbox stream.

Whoever records the payment (the attempt that charged, the webhook, a reconciliation) commits that
event in the same transaction as the payment, so no paid invoice goes without its receipt, and the
customer's answer does not wait for the PDF or the email. A failed step fails the stream record,
which is delivered again until it passes; the email goes out once (portal_common.sent_once, its
claim item ``RECEIPT_EMAIL#<charge>`` beside the invoice). Templates: templates/emails/payment_receipt.*
"""

from __future__ import annotations

import json

from portal_common.crm_contracts.payments import CardPaymentAttempt
from portal_common.mail import send_email
from portal_common.observability import logger
from portal_common.sent_once import send_once

from . import money, receipts, repository
from .brands import brand_label
from .links import receipt_link
from .models import Invoice
from .states import EVENT_TYPES, Outcome

PAID_EVENT = EVENT_TYPES[Outcome.SUCCEEDED]
# A receipt email claimed longer ago than this (4x the mailer's 30 s timeout) and never confirmed: its
# sender stopped, maybe before mailing it; the next delivery takes the claim over and sends it
RECEIPT_CLAIM_SECONDS = 120


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
    table, key = repository.receipt_email_claim(invoice.number, payment.charge_id)
    return send_once(
        table,
        key,
        lambda: send_receipt(invoice, invoice.portal_url or ""),
        stale_after=RECEIPT_CLAIM_SECONDS,
        what=f"the receipt email of {invoice.number}",
    )
