"""Paying an invoice: every attempt recorded and sent to the CRM, the money taken at most once.

One attempt (``pay``):
  1. a paid invoice, or one another attempt is paying, blocks the attempt (recorded: ``blocked``);
  2. the token's card comes from the processor; a brand other than Visa/MasterCard is refused
     (recorded: ``refused``) and never sent to be charged;
  3. open -> paying, held by this attempt: a conditional write only one attempt can win (the
     attempt is stored ``pending`` with it, and ``card_payment.started`` goes to the CRM);
  4. the charge goes to the processor with the idempotency key inv:<number>:att:<attempt>; a
     timeout is resolved by looking that key up at the processor, never guessed;
  5. the answer settles invoice and attempt in one transaction: paid or open again. A payment's
     receipt PDF and email follow from its card_payment.succeeded event (notifications.py).

Three guards, each enough on its own for its case: Powertools Idempotency on (invoice, attempt)
makes a double-submitted form or a retried request the same attempt; the invoice's status makes two
tabs or twenty concurrent requests charge once; the processor's idempotency key makes a resent
charge the same charge.

An attempt whose answer never came stays ``pending`` with the invoice ``paying``. It is settled by
the processor's webhook, or — once it is older than STALE_AFTER — by the next attempt or the
scheduled reconciliation, which look the charge up by its key (no charge: the invoice opens again).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from portal_common import aws
from portal_common.crm_contracts.payments import CardPaymentAttempt
from portal_common.errors import Conflict, Forbidden, NotFound
from portal_common.events import Actor, CrmEvent, activity_event
from portal_common.observability import logger
from portal_common.settings import load_settings

from . import bank_api, repository
from .brands import is_accepted, refusal_message
from .models import Attempt, Invoice, PaymentDetails, PayRequest, PayResult, receipt_key
from .processor import (
    CardProcessor,
    Charge,
    ChargeOutcomeUnknown,
    ChargeRequest,
    ProcessorError,
    ProcessorUnavailable,
    TokenInvalid,
    WebhookEvent,
    WebhookRejected,
)
from .settings import IdempotencySettings
from .states import (
    EVENT_TYPES,
    STALE_AFTER,
    Action,
    InvoiceStatus,
    Outcome,
    activity_of,
    outcome_of_failure,
    transition,
)

IDEMPOTENCY_SECONDS = 24 * 3600

MESSAGES = {
    "succeeded": "Thank you: your payment was received.",
    "card_declined": "Your card was declined. Nothing was charged. Please try another card or contact your bank.",
    "insufficient_funds": "Your card was declined for insufficient funds. Nothing was charged.",
    "expired_card": "Your card has expired. Nothing was charged. Please use another card.",
    "processing_error": "The bank could not process the card. Nothing was charged; please try again.",
    "token_invalid": "The card details have expired. Nothing was charged; please enter the card again.",
    "processor_unavailable": "The bank could not be reached. Nothing was charged; please try again in a minute.",
    "processor_refused": "The bank refused the payment request. Nothing was charged; please try again.",
    "already_paid": "This invoice is already paid. Nothing more was charged.",
    "payment_in_progress": "A payment of this invoice is already in progress. Nothing more was charged.",
    "pending": "We are confirming your payment with the bank. Please do not pay again: refresh this page in a minute.",
    "not_charged": "The bank has no record of this payment: nothing was charged. Please try again.",
}


class PaymentInProgress(Conflict):
    title = "Your payment is being processed"


def _now() -> datetime:
    return datetime.now(UTC)


def charge_key(invoice_number: str, attempt_id: str) -> str:
    """The processor's idempotency key: one per invoice and attempt (only one attempt can hold an invoice)."""
    return f"inv:{invoice_number}:att:{attempt_id}"


def _customer(invoice: Invoice, actor: Actor) -> Actor:
    return actor if actor.kind == "customer" else Actor(kind="customer", id=invoice.customer_email)


def _events(invoice: Invoice, attempt: Attempt, actor: Actor, invoice_status: InvoiceStatus) -> list[CrmEvent]:
    """The attempt's card_payment.* event, and (once it has an outcome) the customer's activity."""
    card = attempt.card
    subject = f"invoice:{invoice.number}"
    payment_event = CrmEvent(
        type=EVENT_TYPES[attempt.outcome],
        portal="payments",
        actor=actor,
        subject=subject,
        data=CardPaymentAttempt(
            invoice_number=invoice.number,
            attempt_id=attempt.attempt_id,
            outcome=attempt.outcome.value,
            invoice_status=invoice_status.value,
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            card_brand=card.brand if card else None,
            card_last4=card.last4 if card else None,
            card_exp_month=card.exp_month if card else None,
            card_exp_year=card.exp_year if card else None,
            processor_charge_id=attempt.charge_id,
            failure_code=attempt.failure_code,
            message=attempt.message,
            resolved_by=attempt.resolved_by,
            started_at=attempt.started_at,
            finished_at=attempt.finished_at,
        ).model_dump(mode="json"),
    )
    events = [payment_event]
    if attempt.outcome is not Outcome.PENDING:
        events.append(
            activity_event(
                "payments", _customer(invoice, actor), activity_of(attempt.outcome), subject, "invoice", invoice.number
            )
        )
    return events


def _result(invoice_number: str, attempt: Attempt, status: InvoiceStatus) -> PayResult:
    return PayResult(
        invoice_number=invoice_number,
        attempt_id=attempt.attempt_id,
        outcome=attempt.outcome,
        failure_code=attempt.failure_code,
        message=attempt.message or MESSAGES.get(attempt.outcome.value, ""),
        invoice_status=status,
        charge_id=attempt.charge_id,
        card=attempt.card,
    )


def _invoice(number: str) -> Invoice:
    invoice = repository.get_invoice(number)
    if invoice is None:
        raise NotFound("We could not find this invoice. Please ask us for a new payment link.")
    return invoice


def _stale(invoice: Invoice, now: datetime) -> bool:
    return invoice.pending is not None and invoice.pending.started_at < now - STALE_AFTER


# -- one attempt -------------------------------------------------------------------------------
def pay(request: PayRequest, processor: CardProcessor | None = None) -> PayResult:
    proc = processor or bank_api.processor()
    invoice = _invoice(request.invoice_number)
    if not request.actor.id:
        request = request.model_copy(update={"actor": request.actor.model_copy(update={"id": invoice.customer_email})})
    now = _now()
    attempt = Attempt(
        attempt_id=request.attempt_id,
        invoice_number=invoice.number,
        started_at=now,
        outcome=Outcome.PENDING,
        amount_minor=invoice.amount_minor,
        currency=invoice.currency,
    )
    if invoice.status is InvoiceStatus.PAYING and _stale(invoice, now):
        invoice = reconcile(invoice, proc, resolved_by="stale_check")
    again = _same_attempt(invoice, request.attempt_id, proc, request.actor)
    if again is not None:
        return again
    if invoice.status is not InvoiceStatus.OPEN:
        return _blocked(invoice, attempt, request.actor)
    try:
        card = proc.card_of(request.card_token)
    except TokenInvalid:
        return _ended(invoice, attempt, Outcome.FAILED, "token_invalid", request.actor)
    except ProcessorError:
        return _ended(invoice, attempt, Outcome.FAILED, "processor_unavailable", request.actor)
    attempt = attempt.model_copy(update={"card": card})
    if not is_accepted(card.brand):
        return _ended(
            invoice, attempt, Outcome.REFUSED, "brand_not_accepted", request.actor, refusal_message(card.brand)
        )

    attempt = attempt.model_copy(update={"idempotency_key": charge_key(invoice.number, attempt.attempt_id)})
    try:
        repository.start_attempt(
            invoice, attempt, request.portal_url, _events(invoice, attempt, request.actor, InvoiceStatus.PAYING)
        )
    except repository.InvoiceBusy:
        return _blocked(_invoice(invoice.number), attempt.model_copy(update={"idempotency_key": None}), request.actor)
    invoice = invoice.model_copy(
        update={"status": transition(InvoiceStatus.OPEN, Action.START), "portal_url": request.portal_url}
    )

    charge_request = ChargeRequest(
        token=request.card_token,
        amount_minor=invoice.amount_minor,
        currency=invoice.currency,
        reference=invoice.number,
        description=f"Invoice {invoice.number}",
        idempotency_key=attempt.idempotency_key or "",
        metadata={"invoice_number": invoice.number, "attempt_id": attempt.attempt_id},
    )
    try:
        charge = proc.charge(charge_request)
    except ChargeOutcomeUnknown:
        logger.warning("charge outcome unknown; left pending for reconciliation", extra={"invoice": invoice.number})
        return _result(
            invoice.number, attempt.model_copy(update={"message": MESSAGES["pending"]}), InvoiceStatus.PAYING
        )
    except TokenInvalid:
        return _release(invoice, attempt, "token_invalid", request.actor)
    except ProcessorUnavailable:
        return _release(invoice, attempt, "processor_unavailable", request.actor)
    except ProcessorError:
        return _release(invoice, attempt, "processor_refused", request.actor)
    return settle(invoice, attempt, charge, request.actor, "timeout_lookup" if charge.found_by_lookup else "answer")


def _same_attempt(invoice: Invoice, attempt_id: str, proc: CardProcessor, actor: Actor) -> PayResult | None:
    """The attempt that holds (or paid) the invoice, sent again: its request failed after the invoice
    was taken (an AWS fault answered 503) and the customer retried. It is the same attempt, never a
    new (blocked) one: a pending charge is looked up at the processor by its key now, and the answer
    is what the attempt came to. None for any other attempt."""
    pending = invoice.pending if invoice.status is InvoiceStatus.PAYING else None
    if pending is not None and pending.attempt_id == attempt_id:
        invoice = reconcile(invoice, proc, resolved_by="timeout_lookup", actor=actor)
    elif invoice.payment is None or invoice.payment.attempt_id != attempt_id:
        return None
    stored = repository.find_attempt(invoice.number, attempt_id)
    return None if stored is None else _result(invoice.number, stored, invoice.status)


def _attempt_outcome(invoice_number: str, attempt_id: str) -> PayResult | None:
    """What a finished attempt came to; None while it is pending (or unknown)."""
    stored = repository.find_attempt(invoice_number, attempt_id)
    if stored is None or stored.outcome is Outcome.PENDING:
        return None
    return _result(invoice_number, stored, _invoice(invoice_number).status)


def _blocked(invoice: Invoice, attempt: Attempt, actor: Actor) -> PayResult:
    code = "already_paid" if invoice.status is InvoiceStatus.PAID else "payment_in_progress"
    return _ended(invoice, attempt, Outcome.BLOCKED, code, actor)


def _ended(
    invoice: Invoice, attempt: Attempt, outcome: Outcome, code: str, actor: Actor, message: str | None = None
) -> PayResult:
    """An attempt that never held the invoice: recorded with its outcome in one write."""
    done = attempt.model_copy(
        update={"outcome": outcome, "failure_code": code, "message": message or MESSAGES[code], "finished_at": _now()}
    )
    repository.record_attempt(done, _events(invoice, done, actor, invoice.status))
    return _result(invoice.number, done, invoice.status)


def _release(invoice: Invoice, attempt: Attempt, code: str, actor: Actor) -> PayResult:
    """The charge certainly did not happen: the attempt fails and the invoice opens again."""
    done = attempt.model_copy(
        update={
            "outcome": Outcome.FAILED,
            "failure_code": code,
            "message": MESSAGES[code],
            "finished_at": _now(),
            "resolved_by": "answer",
        }
    )
    opened = transition(InvoiceStatus.PAYING, Action.FAIL)
    try:
        repository.finish_attempt(invoice, done, opened, None, _events(invoice, done, actor, opened))
    except repository.AttemptNotHolding:
        return _settled_meanwhile(invoice.number, attempt)
    return _result(invoice.number, done, opened)


def settle(
    invoice: Invoice, attempt: Attempt, charge: Charge, actor: Actor, resolved_by: str, *, holding: bool = True
) -> PayResult:
    """Record the processor's answer for the attempt that holds the invoice (once: conditional)."""
    now = _now()
    if charge.succeeded:
        payment = PaymentDetails(
            paid_at=now,
            attempt_id=attempt.attempt_id,
            charge_id=charge.id,
            card=charge.card,
            receipt_key=receipt_key(invoice.number, charge.id),
        )
        done = attempt.model_copy(
            update={
                "outcome": Outcome.SUCCEEDED,
                "finished_at": now,
                "charge_id": charge.id,
                "card": charge.card,
                "failure_code": None,
                "message": MESSAGES["succeeded"],
                "resolved_by": resolved_by,
            }
        )
        paid_status = transition(InvoiceStatus.PAYING if holding else InvoiceStatus.OPEN, Action.SUCCEED)
        try:
            repository.finish_attempt(
                invoice, done, paid_status, payment, _events(invoice, done, actor, paid_status), holding=holding
            )
        except repository.AttemptNotHolding:
            return _settled_meanwhile(invoice.number, attempt)
        # the receipt PDF and email follow from the card_payment.succeeded event (notifications.py)
        return _result(invoice.number, done, paid_status)

    code = charge.failure_code or "card_declined"
    done = attempt.model_copy(
        update={
            "outcome": outcome_of_failure(code),
            "finished_at": now,
            "charge_id": charge.id,
            "card": charge.card,
            "failure_code": code,
            "message": MESSAGES.get(code) or charge.failure_message or MESSAGES["card_declined"],
            "resolved_by": resolved_by,
        }
    )
    opened = transition(InvoiceStatus.PAYING, Action.FAIL)
    try:
        repository.finish_attempt(invoice, done, opened, None, _events(invoice, done, actor, opened))
    except repository.AttemptNotHolding:
        return _settled_meanwhile(invoice.number, attempt)
    return _result(invoice.number, done, opened)


def _settled_meanwhile(invoice_number: str, attempt: Attempt) -> PayResult:
    """Someone else (the webhook, a reconciliation) settled this attempt first: answer what they recorded."""
    stored = repository.find_attempt(invoice_number, attempt.attempt_id) or attempt
    return _result(invoice_number, stored, _invoice(invoice_number).status)


# -- reconciliation ----------------------------------------------------------------------------
def reconcile(
    invoice: Invoice,
    processor: CardProcessor | None = None,
    resolved_by: str = "stale_check",
    actor: Actor | None = None,
) -> Invoice:
    """Settle a ``paying`` invoice from what the processor has for its attempt's idempotency key
    (``actor``: who asked; the reconciliation itself by default)."""
    pending = invoice.pending
    if invoice.status is not InvoiceStatus.PAYING or pending is None:
        return invoice
    proc = processor or bank_api.processor()
    attempt = repository.find_attempt(invoice.number, pending.attempt_id) or Attempt(
        attempt_id=pending.attempt_id,
        invoice_number=invoice.number,
        started_at=pending.started_at,
        outcome=Outcome.PENDING,
        amount_minor=invoice.amount_minor,
        currency=invoice.currency,
        idempotency_key=pending.idempotency_key,
    )
    try:
        charge = proc.find_charge(pending.idempotency_key)
    except ProcessorUnavailable:
        logger.warning("reconciliation: processor unavailable", extra={"invoice": invoice.number})
        return invoice
    system = actor or Actor(kind="system", id="payments-reconciliation")
    if charge is not None:
        settle(invoice, attempt, charge, system, resolved_by)
    elif _stale(invoice, _now()):
        done = attempt.model_copy(
            update={
                "outcome": Outcome.FAILED,
                "failure_code": "not_charged",
                "message": MESSAGES["not_charged"],
                "finished_at": _now(),
                "resolved_by": resolved_by,
            }
        )
        released = transition(InvoiceStatus.PAYING, Action.RELEASE)
        with contextlib.suppress(repository.AttemptNotHolding):  # settled meanwhile: nothing to do
            repository.finish_attempt(invoice, done, released, None, _events(invoice, done, system, released))
    return _invoice(invoice.number)


def reconcile_recent(days: int = 3, processor: CardProcessor | None = None) -> int:
    """Scheduled: settle every attempt still pending and stale (attempts of the last days, by the index)."""
    today = _now().date()
    settled = 0
    seen: set[str] = set()
    for offset in range(days):
        for attempt in repository.attempts_on_day(today - timedelta(days=offset), [Outcome.PENDING]):
            if attempt.invoice_number in seen:
                continue
            seen.add(attempt.invoice_number)
            invoice = repository.get_invoice(attempt.invoice_number)
            if invoice is None or invoice.status is not InvoiceStatus.PAYING or not _stale(invoice, _now()):
                continue
            if reconcile(invoice, processor, "stale_check").status is not InvoiceStatus.PAYING:
                settled += 1
    return settled


def apply_webhook(event: WebhookEvent) -> str:
    """The processor says what became of a charge. Settles the attempt if nobody did yet."""
    charge = event.charge
    if charge is None or not event.type.startswith("charge."):
        return "ignored"
    number = charge.metadata.get("invoice_number") or charge.reference
    attempt_id = charge.metadata.get("attempt_id", "")
    invoice = repository.get_invoice(number)
    if invoice is None:
        logger.warning("webhook for an unknown invoice", extra={"invoice": number})
        return "unknown_invoice"
    webhook = Actor(kind="system", id="card-processor", label="webhook")
    if invoice.payment is not None and invoice.payment.charge_id == charge.id:
        return "already_settled"
    attempt = repository.find_attempt(number, attempt_id)
    if attempt is None:
        return "unknown_attempt"
    if invoice.status is InvoiceStatus.PAYING and invoice.pending and invoice.pending.attempt_id == attempt_id:
        settle(invoice, attempt, charge, webhook, "webhook")
        return "settled"
    if not charge.succeeded:
        return "already_settled"
    if invoice.status is InvoiceStatus.OPEN:
        # the attempt had been released (the processor had no charge when we looked): the money is taken
        settle(invoice, attempt, charge, webhook, "webhook", holding=False)
        return "late_success"
    # paid by another charge: this one must be refunded. Tell the CRM; never hide it.
    flagged = attempt.model_copy(
        update={
            "outcome": Outcome.SUCCEEDED,
            "charge_id": charge.id,
            "card": charge.card,
            "failure_code": "duplicate_charge",
            "message": "Charged after the invoice was paid: refund needed.",
            "resolved_by": "webhook",
            "finished_at": _now(),
        }
    )
    repository.update_attempt(flagged, _events(invoice, flagged, webhook, invoice.status))
    logger.error("duplicate charge detected", extra={"invoice": number, "charge_id": charge.id})
    return "duplicate_charge"


# -- Powertools Idempotency: a retried request is the same attempt -----------------------------
@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=load_settings(IdempotencySettings).idempotency_table, boto3_client=aws.client("dynamodb")
    )


_PAY_CONFIG = IdempotencyConfig(
    event_key_jmespath="[invoice_number, attempt_id]",
    payload_validation_jmespath="card_token",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=IDEMPOTENCY_SECONDS,
)
_WEBHOOK_CONFIG = IdempotencyConfig(
    event_key_jmespath="id", raise_on_no_idempotency_key=True, expires_after_seconds=IDEMPOTENCY_SECONDS
)


@cache
def _idempotent_pay() -> Any:
    return idempotent_function(
        pay,
        data_keyword_argument="request",
        persistence_store=_persistence(),
        config=_PAY_CONFIG,
        output_serializer=PydanticSerializer(model=PayResult),
        key_prefix="payments.pay",
    )


@cache
def _idempotent_webhook() -> Any:
    return idempotent_function(
        apply_webhook,
        data_keyword_argument="event",
        persistence_store=DynamoDBPersistenceLayer(
            table_name=load_settings(IdempotencySettings).idempotency_table, boto3_client=aws.client("dynamodb")
        ),
        config=_WEBHOOK_CONFIG,
        key_prefix="payments.webhook",
    )


def pay_once(request: PayRequest, lambda_context: Any = None) -> PayResult:
    """``pay``, at most once per (invoice, attempt id) whatever the retries and double submits."""
    if lambda_context is not None:
        _PAY_CONFIG.register_lambda_context(lambda_context)
    try:
        result: PayResult = _idempotent_pay()(request=request)
    except IdempotencyAlreadyInProgressError:
        # the same attempt is under way, or its run ended without storing its answer (the idempotency
        # store failed after the payment was recorded): a finished attempt answers what it came to
        finished = _attempt_outcome(request.invoice_number, request.attempt_id)
        if finished is not None:
            return finished
        raise PaymentInProgress(
            "Your payment is being processed. Please wait a moment and refresh the page: do not pay again."
        ) from None
    except IdempotencyValidationError:
        raise Conflict("This payment form was already used with another card. Please reload the page.") from None
    return result


def apply_webhook_once(event: WebhookEvent, lambda_context: Any = None) -> str:
    if lambda_context is not None:
        _WEBHOOK_CONFIG.register_lambda_context(lambda_context)
    try:
        return str(_idempotent_webhook()(event=event))
    except IdempotencyAlreadyInProgressError:
        raise PaymentInProgress("This webhook is being processed.") from None


def receive_webhook(body: bytes, signature: str, lambda_context: Any = None) -> str:
    """A webhook from the processor: verified (HMAC, recent), then applied once per event id."""
    try:
        event = bank_api.processor().verify_webhook(body, signature)
    except WebhookRejected:
        raise Forbidden("The webhook signature is not valid.") from None
    return apply_webhook_once(event, lambda_context)
