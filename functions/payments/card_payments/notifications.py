"""The receipt email, sent once after a payment (by whoever recorded the payment: the attempt that
charged, the webhook, or a reconciliation). Templates: templates/emails/payment_receipt.*"""

from __future__ import annotations

from portal_common.mail import send_email
from portal_common.observability import logger

from . import money
from .brands import brand_label
from .links import receipt_link
from .models import Invoice


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
