"""What the CRM does with invoices, and what the customer's payment page shows.

- ``upsert_invoice``: create the invoice, or change it while it is open; answer its signed payment link.
- ``invoice_detail``: the invoice, its attempts and a fresh payment link (the CRM's "send a new link").
- ``page_view``: the payment page's content for the customer (and the ``viewed`` activity).
"""

from __future__ import annotations

from datetime import UTC, datetime

from portal_common.crm_contracts.payments import InvoiceChanged
from portal_common.errors import NotFound, ValidationFailed
from portal_common.events import Actor, CrmEvent, activity_event
from portal_common.outbox import emit

from . import links, money, repository
from .models import (
    AttemptOut,
    Invoice,
    InvoiceDetail,
    InvoiceIn,
    InvoiceOut,
    InvoiceWithLink,
)
from .states import can_edit

CRM = Actor(kind="crm", id="crm")


def _now() -> datetime:
    return datetime.now(UTC)


def upsert_invoice(number: str, body: InvoiceIn, base_url: str) -> InvoiceWithLink:
    try:
        content = body.content()
    except money.AmountError as exc:
        raise ValidationFailed("The amounts do not add up.", field_errors={"amount": str(exc)}) from None
    previous = repository.get_invoice(number)
    if previous is not None and not can_edit(previous.status):
        raise repository.InvoiceBusy(f"Invoice {number} is {previous.status.value}: it can no longer be changed.")
    link = links.pay_link(base_url, number)
    event = CrmEvent(
        type="invoice.updated" if previous else "invoice.created",
        portal="payments",
        actor=CRM,
        subject=f"invoice:{number}",
        data=InvoiceChanged(
            invoice_number=number,
            amount_minor=content.amount_minor,
            currency=content.currency,
            due_date=content.due_date,
            payment_link_expires_at=link.expires_at,
        ).model_dump(mode="json"),
    )
    invoice = repository.save_invoice(number, content, previous, _now(), [event])
    return InvoiceWithLink(created=previous is None, invoice=InvoiceOut.of(invoice), payment_link=link)


def get_invoice(number: str) -> Invoice:
    invoice = repository.get_invoice(number)
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    return invoice


def invoice_detail(number: str, base_url: str) -> InvoiceDetail:
    invoice = get_invoice(number)
    return InvoiceDetail(
        invoice=InvoiceOut.of(invoice),
        payment_link=links.pay_link(base_url, number),
        attempts=[AttemptOut.of(a) for a in repository.attempts_of_invoice(number)],
    )


def customer_actor(actor: Actor, invoice: Invoice) -> Actor:
    """The request's actor (where from) named as the invoice's customer."""
    return actor if actor.id else actor.model_copy(update={"id": invoice.customer_email})


def customer_invoice(number: str, *, require_paid: bool = False) -> Invoice:
    """The invoice a customer's link names (paid, for a receipt link)."""
    invoice = repository.get_invoice(number)
    if invoice is None:
        raise NotFound("We could not find this invoice. Please ask us for a new payment link.")
    if require_paid and invoice.payment is None:
        raise NotFound("This invoice is not paid yet, so there is no receipt.")
    return invoice


def record_customer_action(invoice: Invoice, actor: Actor, action: str) -> None:
    """The customer's activity on the invoice (viewed / downloaded), sent to the CRM."""
    number = invoice.number
    emit(activity_event("payments", customer_actor(actor, invoice), action, f"invoice:{number}", "invoice", number))


def invoice_for_customer(number: str, actor: Actor, action: str = "viewed", *, require_paid: bool = False) -> Invoice:
    """The invoice a customer's link names, with the activity (viewed / downloaded) sent to the CRM."""
    invoice = customer_invoice(number, require_paid=require_paid)
    record_customer_action(invoice, actor, action)
    return invoice
