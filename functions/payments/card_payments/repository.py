"""PaymentsTable: invoices and their payment attempts. The only module here that touches DynamoDB.

Access patterns (template.yaml, PaymentsTable):
    pk=INVOICE#<number>, sk=INVOICE                     the invoice: content, status, version, payment
    pk=INVOICE#<number>, sk=ATTEMPT#<started_at>#<id>   its attempts, oldest first (Query on pk)
    pk=INVOICE#<number>, sk=RECEIPT_EMAIL#<charge id>   the receipt email of a payment: sending -> sent
    GSI ByAttemptDay: attempt_day (YYYY-MM-DD, UTC), sk  every attempt of one day: the CC Payments
                                                        report queries it once per day of the range
Only attempts carry ``attempt_day``, so the index holds attempts only. Nothing here scans.

Every write goes through portal_common.outbox.Transaction with its CRM event(s). The invoice's
``status`` is the guard of "never twice": open -> paying is a conditional write only one attempt can
win; paying -> paid/open is conditional on the attempt that holds the invoice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from portal_common import aws
from portal_common.dynamo import from_item
from portal_common.errors import Conflict
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from portal_common.settings import load_settings

from .models import Attempt, Invoice, InvoiceContent, PaymentDetails, PendingAttempt
from .settings import PaymentsTableSettings
from .states import InvoiceStatus, Outcome

INVOICE_SK = "INVOICE"
RECEIPT_EMAIL_PREFIX = "RECEIPT_EMAIL#"
ATTEMPT_PREFIX = "ATTEMPT#"
DAY_INDEX = "ByAttemptDay"


class InvoiceEditConflict(Conflict):
    """The invoice was changed (or taken by another attempt) since it was read."""

    title = "This invoice changed meanwhile"


class InvoiceBusy(Conflict):
    """The invoice is not open: paid, or another attempt is paying it."""

    title = "This invoice is being paid or is already paid"


class AttemptNotHolding(Conflict):
    """The attempt no longer holds the invoice: someone else finalized it first."""

    title = "This payment was already settled"


def _table() -> str:
    return load_settings(PaymentsTableSettings).payments_table


def invoice_key(number: str) -> dict[str, str]:
    return {"pk": f"INVOICE#{number}", "sk": INVOICE_SK}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# -- invoices ----------------------------------------------------------------------------------
def get_invoice(number: str) -> Invoice | None:
    item = (
        aws.client("dynamodb")
        .get_item(
            TableName=_table(), Key={"pk": {"S": f"INVOICE#{number}"}, "sk": {"S": INVOICE_SK}}, ConsistentRead=True
        )
        .get("Item")
    )
    return _invoice(from_item(item)) if item else None


def _invoice(raw: dict[str, Any]) -> Invoice:
    return Invoice.model_validate({k: v for k, v in raw.items() if k not in ("pk", "sk")})


def save_invoice(
    number: str, content: InvoiceContent, previous: Invoice | None, now: datetime, events: list[CrmEvent]
) -> Invoice:
    """Create the invoice, or replace its content if it is still open and unchanged since read."""
    invoice = Invoice(
        **content.model_dump(),
        number=number,
        status=InvoiceStatus.OPEN,
        version=(previous.version + 1) if previous else 1,
        created_at=previous.created_at if previous else now,
        updated_at=now,
    )
    item = {**invoice_key(number), **invoice.model_dump(mode="json", exclude_none=True)}
    with Transaction() as tx:
        if previous is None:
            tx.put(
                _table(),
                item,
                unique="pk",
                on_conflict=InvoiceEditConflict("The invoice was created meanwhile; try again."),
            )
        else:
            tx.put(
                _table(),
                item,
                condition="#status = :open AND #version = :version",
                names={"#status": "status", "#version": "version"},
                values={":open": InvoiceStatus.OPEN.value, ":version": previous.version},
                on_conflict=InvoiceEditConflict("The invoice is being paid, is paid, or changed meanwhile."),
            )
        for event in events:
            tx.event(event)
    return invoice


# -- attempts ----------------------------------------------------------------------------------
def _attempt_item(attempt: Attempt) -> dict[str, Any]:
    return {
        "pk": f"INVOICE#{attempt.invoice_number}",
        "sk": attempt.sk,
        "attempt_day": attempt.started_at.astimezone(UTC).date().isoformat(),
        **attempt.model_dump(mode="json", exclude_none=True),
    }


def _attempt(raw: dict[str, Any]) -> Attempt:
    return Attempt.model_validate({k: v for k, v in raw.items() if k not in ("pk", "sk", "attempt_day")})


def record_attempt(attempt: Attempt, events: list[CrmEvent]) -> None:
    """An attempt that ends where it starts (refused brand, blocked, invalid token): one write."""
    with Transaction() as tx:
        tx.put(_table(), _attempt_item(attempt), unique="pk")
        for event in events:
            tx.event(event)


def start_attempt(invoice: Invoice, attempt: Attempt, portal_url: str, events: list[CrmEvent]) -> None:
    """open -> paying, held by this attempt; raises InvoiceBusy if another attempt got there first."""
    pending = PendingAttempt(
        attempt_id=attempt.attempt_id,
        attempt_sk=attempt.sk,
        started_at=attempt.started_at,
        idempotency_key=attempt.idempotency_key or "",
    )
    with Transaction() as tx:
        tx.update(
            _table(),
            invoice_key(invoice.number),
            "SET #status = :paying, #pending = :pending, portal_url = :url, updated_at = :now",
            condition="#status = :open AND #version = :version",
            names={"#status": "status", "#pending": "pending", "#version": "version"},
            values={
                ":paying": InvoiceStatus.PAYING.value,
                ":open": InvoiceStatus.OPEN.value,
                ":version": invoice.version,
                ":pending": pending.model_dump(mode="json"),
                ":url": portal_url,
                ":now": _iso(attempt.started_at),
            },
            on_conflict=InvoiceBusy("Another payment of this invoice is in progress, or it is paid."),
        )
        tx.put(_table(), _attempt_item(attempt), unique="pk")
        for event in events:
            tx.event(event)


def finish_attempt(
    invoice: Invoice,
    attempt: Attempt,
    new_status: InvoiceStatus,
    payment: PaymentDetails | None,
    events: list[CrmEvent],
    *,
    holding: bool = True,
) -> None:
    """Settle an attempt and the invoice together.

    holding=True: the attempt holds the invoice (paying, pending = this attempt) -> paid or open.
    holding=False: a late success for an attempt that had been released (invoice open) -> paid.
    Raises AttemptNotHolding when the condition fails: someone else settled it first.
    """
    now = _iso(attempt.finished_at or datetime.now(UTC))
    values: dict[str, Any] = {":new": new_status.value, ":now": now}
    names = {"#status": "status", "#pending": "pending"}
    update = "SET #status = :new, updated_at = :now"
    if payment is not None:
        update += ", payment = :payment"
        values[":payment"] = payment.model_dump(mode="json", exclude_none=True)
    update += " REMOVE #pending"
    if holding:
        condition = "#status = :paying AND #pending.attempt_id = :attempt"
        values.update({":paying": InvoiceStatus.PAYING.value, ":attempt": attempt.attempt_id})
    else:
        condition = "#status = :open"
        values[":open"] = InvoiceStatus.OPEN.value
    attempt_values = {
        k: v
        for k, v in attempt.model_dump(mode="json", exclude_none=True).items()
        if k not in ("attempt_id", "invoice_number")
    }
    set_parts = [f"#a_{k} = :a_{k}" for k in attempt_values]
    with Transaction() as tx:
        tx.update(
            _table(),
            invoice_key(invoice.number),
            update,
            condition=condition,
            names=names,
            values=values,
            on_conflict=AttemptNotHolding("This payment attempt was already settled."),
        )
        tx.update(
            _table(),
            {"pk": f"INVOICE#{attempt.invoice_number}", "sk": attempt.sk},
            "SET " + ", ".join(set_parts),
            condition="attribute_exists(pk)",
            names={f"#a_{k}": k for k in attempt_values},
            values={f":a_{k}": v for k, v in attempt_values.items()},
        )
        for event in events:
            tx.event(event)


def update_attempt(attempt: Attempt, events: list[CrmEvent]) -> None:
    """Record what became of an attempt without touching the invoice (e.g. a duplicate charge)."""
    values = {
        k: v
        for k, v in attempt.model_dump(mode="json", exclude_none=True).items()
        if k not in ("attempt_id", "invoice_number")
    }
    with Transaction() as tx:
        tx.update(
            _table(),
            {"pk": f"INVOICE#{attempt.invoice_number}", "sk": attempt.sk},
            "SET " + ", ".join(f"#a_{k} = :a_{k}" for k in values),
            condition="attribute_exists(pk)",
            names={f"#a_{k}": k for k in values},
            values={f":a_{k}": v for k, v in values.items()},
        )
        for event in events:
            tx.event(event)


# -- reading attempts --------------------------------------------------------------------------
def _query(**kwargs: Any) -> Iterator[dict[str, Any]]:
    ddb = aws.client("dynamodb")
    while True:
        answer = ddb.query(TableName=_table(), **kwargs)
        for item in answer.get("Items", []):
            yield from_item(item)
        if "LastEvaluatedKey" not in answer:
            return
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _outcome_filter(outcomes: list[Outcome], kwargs: dict[str, Any]) -> None:
    if not outcomes:
        return
    placeholders = [f":o{n}" for n in range(len(outcomes))]
    kwargs["FilterExpression"] = f"#outcome IN ({', '.join(placeholders)})"
    kwargs.setdefault("ExpressionAttributeNames", {})["#outcome"] = "outcome"
    kwargs["ExpressionAttributeValues"].update({p: {"S": o.value} for p, o in zip(placeholders, outcomes, strict=True)})


class OutsideRange(ValueError):
    """A report page's start position is not inside the range the Query asks for."""


@dataclass(frozen=True)
class Position:
    """Where a report page ended: the last attempt's keys (for the next page's ExclusiveStartKey)."""

    day: str
    invoice_number: str
    sk: str

    @classmethod
    def of(cls, attempt: Attempt) -> Position:
        day = attempt.started_at.astimezone(UTC).date().isoformat()
        return cls(day=day, invoice_number=attempt.invoice_number, sk=attempt.sk)


def _page_from(kwargs: dict[str, Any], after: dict[str, Any] | None, want: int | None) -> list[Attempt]:
    if after is not None:
        kwargs["ExclusiveStartKey"] = {k: {"S": v} for k, v in after.items()}
    if want is not None:
        kwargs["Limit"] = want  # items read per Query; a filter can leave a page short, and _query goes on
    return [_attempt(item) for item in islice(_query(**kwargs), want)]


def attempts_of_invoice(
    number: str,
    day_from: date | None = None,
    day_to: date | None = None,
    outcomes: list[Outcome] | None = None,
    *,
    after: Position | None = None,
    want: int | None = None,
) -> list[Attempt]:
    """An invoice's attempts (Query on its partition), optionally within days, oldest first: the
    first ``want`` of them after ``after`` (all, when not given; none when ``after`` lies outside
    the days: DynamoDB refuses a start key outside the key condition)."""
    low = f"{ATTEMPT_PREFIX}{day_from.isoformat()}" if day_from else ATTEMPT_PREFIX
    high = f"{ATTEMPT_PREFIX}{day_to.isoformat()}T~" if day_to else f"{ATTEMPT_PREFIX}~"
    if after is not None and not low <= after.sk <= high:
        raise OutsideRange(after.sk)
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": f"INVOICE#{number}"}, ":low": {"S": low}, ":high": {"S": high}},
        "ConsistentRead": True,
    }
    _outcome_filter(outcomes or [], kwargs)
    start = {"pk": f"INVOICE#{number}", "sk": after.sk} if after else None
    return _page_from(kwargs, start, want)


def attempts_on_day(
    day: date, outcomes: list[Outcome] | None = None, *, after: Position | None = None, want: int | None = None
) -> list[Attempt]:
    """Every attempt started on one UTC day (GSI ByAttemptDay), oldest first: the first ``want`` of
    them after ``after`` (all, when not given)."""
    kwargs: dict[str, Any] = {
        "IndexName": DAY_INDEX,
        "KeyConditionExpression": "attempt_day = :day",
        "ExpressionAttributeValues": {":day": {"S": day.isoformat()}},
    }
    _outcome_filter(outcomes or [], kwargs)
    start = None
    if after is not None:
        start = {"attempt_day": day.isoformat(), "sk": after.sk, "pk": f"INVOICE#{after.invoice_number}"}
    return _page_from(kwargs, start, want)


def find_attempt(number: str, attempt_id: str) -> Attempt | None:
    """One attempt of an invoice by id (its partition is small: a Query with a filter)."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "FilterExpression": "attempt_id = :id",
        "ExpressionAttributeValues": {
            ":pk": {"S": f"INVOICE#{number}"},
            ":prefix": {"S": ATTEMPT_PREFIX},
            ":id": {"S": attempt_id},
        },
        "ConsistentRead": True,
    }
    for item in _query(**kwargs):
        return _attempt(item)
    return None


# -- the receipt email -------------------------------------------------------------------------
def receipt_email_claim(number: str, charge_id: str) -> tuple[str, dict[str, dict[str, str]]]:
    """Where the sending of a payment's receipt email is claimed (portal_common.sent_once): the
    table and the key of its claim item."""
    return _table(), {"pk": {"S": f"INVOICE#{number}"}, "sk": {"S": f"{RECEIPT_EMAIL_PREFIX}{charge_id}"}}
