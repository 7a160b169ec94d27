"""Shapes, filed by owner: what the CRM sends, what we store, what we answer.

Amounts are integers in minor units (``amount_minor``); answers add ``amount`` (a decimal string in
major units) and ``amount_display`` ("USD 1,250.00") for people.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from portal_common.email_address import EmailAddress
from portal_common.events import Actor

from . import money
from .states import InvoiceStatus, Outcome

InvoiceNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"),
    Field(description="The CRM's invoice number (letters, digits, . _ -; at most 40)"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AttemptId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


def _not_digits_only(value: str) -> str:
    if value.isdigit():  # a card number sent by mistake: refused, never used or echoed
        raise ValueError("is not a card token")
    return value


# A processor token ("tok_..."); never all digits
CardToken = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{6,128}$"),
    AfterValidator(_not_digits_only),
]


def _supported(currency: str) -> str:
    money.exponent(currency)  # raises AmountError (a ValueError) for a currency we do not invoice in
    return currency


Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"), AfterValidator(_supported)
]


# -- what the CRM sends ------------------------------------------------------------------------
class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    email: EmailAddress


class InvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=12, decimal_places=3)
    unit_amount_minor: int | None = Field(default=None, ge=0, description="unit price in minor units")
    unit_amount: Decimal | None = Field(default=None, ge=0, description="unit price in major units, e.g. '12.50'")

    @model_validator(mode="after")
    def _one_price(self) -> InvoiceLineIn:
        if (self.unit_amount_minor is None) == (self.unit_amount is None):
            raise ValueError("give exactly one of unit_amount_minor or unit_amount")
        return self


class InvoiceIn(BaseModel):
    """PUT /crm/payments/invoices/{number}: create the invoice, or update it while it is open."""

    model_config = ConfigDict(extra="forbid")

    customer: CustomerIn
    currency: Currency = "USD"
    amount_minor: int | None = Field(default=None, description="amount due in minor units (cents)")
    amount: Decimal | None = Field(default=None, description="amount due in major units, e.g. '1250.00'")
    due_date: date
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    lines: list[InvoiceLineIn] = Field(default_factory=list, max_length=100)

    def content(self) -> InvoiceContent:
        """The invoice's content with every amount in minor units, checked for consistency."""
        lines = []
        for line in self.lines:
            unit = (
                line.unit_amount_minor
                if line.unit_amount_minor is not None
                else money.to_minor(line.unit_amount, self.currency)  # type: ignore[arg-type]
            )
            lines.append(
                InvoiceLine(
                    description=line.description,
                    quantity=line.quantity,
                    unit_amount_minor=unit,
                    amount_minor=money.line_total(line.quantity, unit),
                )
            )
        if self.amount_minor is not None and self.amount is not None:
            raise money.AmountError("give amount_minor or amount, not both")
        if self.amount_minor is not None:
            total = self.amount_minor
        elif self.amount is not None:
            total = money.to_minor(self.amount, self.currency)
        elif lines:
            total = sum(line.amount_minor for line in lines)
        else:
            raise money.AmountError("give amount_minor, amount or lines")
        if lines and total != sum(line.amount_minor for line in lines):
            raise money.AmountError("the amount does not equal the sum of the lines")
        return InvoiceContent(
            customer_name=self.customer.name,
            customer_email=str(self.customer.email),
            currency=self.currency,
            amount_minor=money.check_minor(total),
            due_date=self.due_date,
            description=self.description or None,
            lines=lines,
        )


# -- stored (and domain) shapes ----------------------------------------------------------------
class InvoiceLine(BaseModel):
    description: str
    quantity: Decimal
    unit_amount_minor: int
    amount_minor: int


class InvoiceContent(BaseModel):
    """What the CRM decides about an invoice."""

    customer_name: str
    customer_email: str
    currency: str
    amount_minor: int
    due_date: date
    description: str | None = None
    lines: list[InvoiceLine] = Field(default_factory=list)


class CardSummary(BaseModel):
    """All we ever keep about a card."""

    brand: str
    last4: Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2200)


class PendingAttempt(BaseModel):
    attempt_id: str
    attempt_sk: str
    started_at: datetime
    idempotency_key: str


def receipt_key(invoice_number: str, charge_id: str) -> str:
    """Where a payment's receipt PDF is kept in the receipts bucket."""
    return f"receipts/{invoice_number}/{charge_id}.pdf"


class PaymentDetails(BaseModel):
    paid_at: datetime
    attempt_id: str
    charge_id: str
    card: CardSummary
    receipt_key: str | None = None


class Invoice(InvoiceContent):
    number: str
    status: InvoiceStatus
    version: int
    created_at: datetime
    updated_at: datetime
    pending: PendingAttempt | None = None
    payment: PaymentDetails | None = None
    portal_url: str | None = Field(default=None, description="the public base URL the customer paid from")

    @property
    def amount_display(self) -> str:
        return money.format_amount(self.amount_minor, self.currency)


class Attempt(BaseModel):
    attempt_id: str
    invoice_number: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: Outcome
    amount_minor: int
    currency: str
    card: CardSummary | None = None
    charge_id: str | None = None
    failure_code: str | None = None
    message: str | None = None
    idempotency_key: str | None = None
    resolved_by: str | None = Field(default=None, description="answer | timeout_lookup | webhook | stale_check")

    @property
    def sk(self) -> str:
        return attempt_sk(self.started_at, self.attempt_id)


def attempt_sk(started_at: datetime, attempt_id: str) -> str:
    return f"ATTEMPT#{started_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{attempt_id}"


# -- answers -----------------------------------------------------------------------------------
class InvoiceLineOut(BaseModel):
    description: str
    quantity: Decimal
    unit_amount_minor: int
    amount_minor: int


class InvoiceOut(BaseModel):
    number: str
    customer: dict[str, str]
    currency: str
    amount_minor: int
    amount: str
    amount_display: str
    due_date: date
    description: str | None
    lines: list[InvoiceLineOut]
    status: InvoiceStatus
    paid_at: datetime | None = None
    charge_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        payment = invoice.payment
        return cls(
            number=invoice.number,
            customer={"name": invoice.customer_name, "email": invoice.customer_email},
            currency=invoice.currency,
            amount_minor=invoice.amount_minor,
            amount=str(money.to_major(invoice.amount_minor, invoice.currency)),
            amount_display=invoice.amount_display,
            due_date=invoice.due_date,
            description=invoice.description,
            lines=[InvoiceLineOut.model_validate(line.model_dump()) for line in invoice.lines],
            status=invoice.status,
            paid_at=payment.paid_at if payment else None,
            charge_id=payment.charge_id if payment else None,
            card_brand=payment.card.brand if payment else None,
            card_last4=payment.card.last4 if payment else None,
            created_at=invoice.created_at,
            updated_at=invoice.updated_at,
        )


class PaymentLink(BaseModel):
    url: str
    expires_at: datetime


class InvoiceWithLink(BaseModel):
    created: bool = Field(description="true when this call created the invoice")
    invoice: InvoiceOut
    payment_link: PaymentLink


class AttemptOut(BaseModel):
    """One row of the CC Payments report."""

    attempt_id: str
    invoice_number: str
    attempted_at: datetime
    finished_at: datetime | None
    outcome: Outcome
    amount_minor: int
    amount: str
    currency: str
    card_brand: str | None
    card_last4: str | None
    card_exp_month: int | None
    card_exp_year: int | None
    processor_charge_id: str | None
    failure_code: str | None
    message: str | None
    resolved_by: str | None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        card = attempt.card
        return cls(
            attempt_id=attempt.attempt_id,
            invoice_number=attempt.invoice_number,
            attempted_at=attempt.started_at,
            finished_at=attempt.finished_at,
            outcome=attempt.outcome,
            amount_minor=attempt.amount_minor,
            amount=str(money.to_major(attempt.amount_minor, attempt.currency)),
            currency=attempt.currency,
            card_brand=card.brand if card else None,
            card_last4=card.last4 if card else None,
            card_exp_month=card.exp_month if card else None,
            card_exp_year=card.exp_year if card else None,
            processor_charge_id=attempt.charge_id,
            failure_code=attempt.failure_code,
            message=attempt.message,
            resolved_by=attempt.resolved_by,
        )


class InvoiceDetail(BaseModel):
    invoice: InvoiceOut
    payment_link: PaymentLink
    attempts: list[AttemptOut]


class ReportQuery(BaseModel):
    """GET /crm/payments/report: by date range (UTC days), invoice, outcome; JSON or CSV."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    invoice: InvoiceNumber | None = None
    outcomes: list[Outcome] = Field(default_factory=list)
    format: Literal["json", "csv"] = "json"
    limit: int = Field(default=1000, ge=1, le=5000)
    cursor: str | None = Field(default=None, max_length=1000)

    MAX_DAYS: ClassVar[int] = 366

    @field_validator("date_from", "date_to", "invoice", "cursor", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("outcomes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value or []

    @model_validator(mode="after")
    def _range(self) -> ReportQuery:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("'to' is before 'from'")
        if self.date_from and self.date_to and (self.date_to - self.date_from).days >= self.MAX_DAYS:
            raise ValueError(f"the date range is at most {self.MAX_DAYS} days")
        return self


class Report(BaseModel):
    date_from: date | None = Field(serialization_alias="from")
    date_to: date | None = Field(serialization_alias="to")
    invoice: str | None
    outcomes: list[Outcome]
    count: int = Field(description="attempts on this page")
    attempts: list[AttemptOut]
    next_cursor: str | None = Field(
        default=None, description="more attempts follow: ask again with cursor=<this> (same other parameters)"
    )


# -- paying ------------------------------------------------------------------------------------
class PayRequest(BaseModel):
    """One payment attempt: the customer's page sent a processor token (never card data)."""

    invoice_number: str
    attempt_id: AttemptId
    card_token: CardToken
    actor: Actor
    portal_url: str


class PayForm(BaseModel):
    """What the payment page's form posts (the hosted card form filled card_token)."""

    attempt_id: AttemptId
    card_token: CardToken


class PayResult(BaseModel):
    invoice_number: str
    attempt_id: str
    outcome: Outcome
    failure_code: str | None = None
    message: str
    invoice_status: InvoiceStatus
    charge_id: str | None = None
    card: CardSummary | None = None


class PayPageView(BaseModel):
    """The payment page, for API clients (the page itself is HTML)."""

    invoice: InvoiceOut
    amount_due: str
    status: InvoiceStatus
    attempt_id: str | None = Field(description="send it back with the card token: one attempt, charged at most once")
    hosted_fields_url: str | None
    processor_origin: str | None
    receipt_url: str | None = None
