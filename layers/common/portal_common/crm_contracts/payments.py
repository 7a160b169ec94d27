"""Payments' events to the CRM: invoices the CRM put, and every card payment attempt.

- ``invoice.created`` / ``invoice.updated``: the CRM's own PUT, confirmed, with the payment link's expiry.
- ``card_payment.<outcome>``: one per attempt when it ends — ``succeeded``, ``declined`` (declined,
  insufficient funds, expired card), ``failed`` (processing error, invalid token, processor
  unavailable, not charged), ``refused`` (a brand other than Visa/MasterCard), ``blocked`` (the
  invoice was paid or being paid: nothing sent to the processor) — and ``card_payment.started`` when
  an attempt takes the invoice to charge it. The CC Payments report is built from these.

Card data: brand, last 4 and expiry only (``card_last4`` is exactly four digits).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

Outcome = Literal["pending", "succeeded", "declined", "failed", "refused", "blocked"]


class InvoiceChanged(BaseModel):
    """data of ``invoice.created`` and ``invoice.updated``."""

    invoice_number: str
    amount_minor: int = Field(description="amount due in the currency's minor unit (cents)")
    currency: str = Field(description="ISO 4217 code")
    due_date: date
    payment_link_expires_at: datetime


class CardPaymentAttempt(BaseModel):
    """data of every ``card_payment.*`` event: one payment attempt (a row of the CC Payments report)."""

    invoice_number: str
    attempt_id: str
    outcome: Outcome
    invoice_status: Literal["open", "paying", "paid"] = Field(description="the invoice's status after the attempt")
    amount_minor: int
    currency: str
    card_brand: str | None = Field(
        default=None, description="visa, mastercard, amex, discover, ... (from the processor)"
    )
    card_last4: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None = None
    card_exp_month: int | None = None
    card_exp_year: int | None = None
    processor_charge_id: str | None = Field(default=None, description="the processor's reference")
    failure_code: str | None = Field(
        default=None,
        description="card_declined, insufficient_funds, expired_card, processing_error, brand_not_accepted, "
        "already_paid, payment_in_progress, token_invalid, processor_unavailable, not_charged, duplicate_charge",
    )
    message: str | None = Field(default=None, description="what the customer was told")
    resolved_by: str | None = Field(
        default=None, description="answer | timeout_lookup (by idempotency key) | webhook | stale_check"
    )
    started_at: datetime
    finished_at: datetime | None = None


EVENTS: dict[str, type[BaseModel]] = {
    "invoice.created": InvoiceChanged,
    "invoice.updated": InvoiceChanged,
    **{
        f"card_payment.{kind}": CardPaymentAttempt
        for kind in ("started", "succeeded", "declined", "failed", "refused", "blocked")
    },
}
