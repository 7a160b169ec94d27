"""The customer's pages: the payment page (open / being confirmed) and the paid page, as HTML or JSON.

Shared by GET /payments/pay/{token} (the page) and POST (the answer to a payment attempt).
"""

from __future__ import annotations

import uuid

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from portal_common.events import utc_now
from portal_common.web.forms import issue_csrf
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import page

from . import links, money, processor
from .brands import brand_label
from .models import Invoice, InvoiceOut, PayPageView, PayResult
from .states import STALE_AFTER, InvoiceStatus, Outcome, http_status_of


def _stale(invoice: Invoice) -> bool:
    return invoice.pending is not None and invoice.pending.started_at < utc_now() - STALE_AFTER


def payment_page(
    app: APIGatewayHttpResolver,
    invoice: Invoice,
    token: str,
    *,
    message: str | None = None,
    message_ok: bool = False,
    status: int = 200,
    just_paid: bool = False,
) -> Response:
    base = links.portal_url(app)
    if invoice.status is InvoiceStatus.PAID and invoice.payment is not None:
        return _paid_page(app, invoice, base, just_paid=just_paid, status=status)
    pending = invoice.status is InvoiceStatus.PAYING
    can_pay = invoice.status is InvoiceStatus.OPEN or (pending and _stale(invoice))
    amount = invoice.amount_display
    attempt_id = uuid.uuid4().hex if can_pay else None
    hosted_url, processor_origin = (
        processor.hosted_fields(links.origin_of(base), f"Pay {amount}") if can_pay else (None, None)
    )
    if pending and not can_pay and message is None:
        message = (
            "A payment of this invoice is being confirmed with the bank. Please do not pay again: "
            "refresh this page in a minute."
        )
        message_ok = True
    if wants_json(app.current_event):
        view = PayPageView(
            invoice=InvoiceOut.of(invoice),
            amount_due=amount,
            status=invoice.status,
            attempt_id=attempt_id,
            hosted_fields_url=hosted_url,
            processor_origin=processor_origin,
        )
        return Response(status, content_types.APPLICATION_JSON, view.model_dump_json(), {"Cache-Control": "no-store"})
    csrf_token, csrf_cookie = issue_csrf(app)
    return page(
        "pay.html",
        status,
        cookies=[csrf_cookie] if csrf_cookie else [],
        invoice=invoice,
        token=token,
        amount=amount,
        lines=[
            {
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "amount": money.format_amount(line.amount_minor, invoice.currency),
            }
            for line in invoice.lines
        ],
        can_pay=can_pay,
        pending=pending,
        attempt_id=attempt_id,
        hosted_fields_url=hosted_url,
        processor_origin=processor_origin,
        csrf_token=csrf_token,
        message=message,
        message_ok=message_ok,
        test_mode=processor.is_test_mode(),
    )


def _paid_page(app: APIGatewayHttpResolver, invoice: Invoice, base: str, *, just_paid: bool, status: int) -> Response:
    payment = invoice.payment
    assert payment is not None
    receipt_url = links.receipt_link(base, invoice.number)
    if wants_json(app.current_event):
        view = PayPageView(
            invoice=InvoiceOut.of(invoice),
            amount_due=money.format_amount(0, invoice.currency),
            status=invoice.status,
            attempt_id=None,
            hosted_fields_url=None,
            processor_origin=None,
            receipt_url=receipt_url,
        )
        return Response(status, content_types.APPLICATION_JSON, view.model_dump_json(), {"Cache-Control": "no-store"})
    return page(
        "paid.html",
        status,
        invoice=invoice,
        just_paid=just_paid,
        amount=invoice.amount_display,
        paid_at=payment.paid_at.strftime("%B %-d, %Y at %H:%M UTC"),
        card=f"{brand_label(payment.card.brand)} ending in {payment.card.last4}",
        reference=payment.charge_id,
        receipt_url=receipt_url,
    )


def attempt_answer(app: APIGatewayHttpResolver, invoice: Invoice, token: str, result: PayResult) -> Response:
    """The answer to a payment attempt: JSON for API clients, else the page with the outcome on it."""
    status = http_status_of(result.outcome, result.failure_code)
    if wants_json(app.current_event):
        return Response(status, content_types.APPLICATION_JSON, result.model_dump_json(), {"Cache-Control": "no-store"})
    if invoice.status is InvoiceStatus.PAID:
        return payment_page(app, invoice, token, just_paid=result.outcome is Outcome.SUCCEEDED, status=200)
    return payment_page(
        app, invoice, token, message=result.message, message_ok=result.outcome is Outcome.PENDING, status=status
    )
