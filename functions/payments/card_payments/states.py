"""The invoice's payment states and an attempt's outcomes: the rules that make "never twice" hold.

    open --start--> paying --succeed--> paid
                     |  ^
          fail/release  |  (a declined or failed charge, or a stale attempt the processor never saw)
                     v  |
                    open

Only one attempt can move an invoice from open to paying (a conditional write on ``status``), so
only one charge is in flight per invoice; the processor's idempotency key (invoice + attempt) makes
every retry of that charge the same charge. An invoice that is paid never changes again.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

# An attempt still pending after this long is no longer running anywhere (the pay function's
# Timeout is 25 s): the processor is asked what became of it.
STALE_AFTER = timedelta(seconds=60)


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAYING = "paying"
    PAID = "paid"


class Action(StrEnum):
    START = "start"  # an attempt takes the invoice to charge it
    SUCCEED = "succeed"  # the processor took the money
    FAIL = "fail"  # the processor refused or failed the charge: no money taken
    RELEASE = "release"  # a stale attempt the processor has no charge for


TRANSITIONS: dict[tuple[InvoiceStatus, Action], InvoiceStatus] = {
    (InvoiceStatus.OPEN, Action.START): InvoiceStatus.PAYING,
    (InvoiceStatus.PAYING, Action.SUCCEED): InvoiceStatus.PAID,
    (InvoiceStatus.PAYING, Action.FAIL): InvoiceStatus.OPEN,
    (InvoiceStatus.PAYING, Action.RELEASE): InvoiceStatus.OPEN,
    # a charge that succeeded after its attempt had been released (a late webhook): the money is taken
    (InvoiceStatus.OPEN, Action.SUCCEED): InvoiceStatus.PAID,
}


class InvalidTransition(ValueError):
    pass


def transition(current: InvoiceStatus, action: Action) -> InvoiceStatus:
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(f"an invoice that is {current} cannot {action}") from None


def can_edit(status: InvoiceStatus) -> bool:
    """The CRM may change an invoice only while nobody is paying it and it is not paid."""
    return status is InvoiceStatus.OPEN


class Outcome(StrEnum):
    PENDING = "pending"  # charge sent, answer not known yet (reconciled with the processor later)
    SUCCEEDED = "succeeded"
    DECLINED = "declined"  # the card was declined (declined, insufficient funds, expired card)
    FAILED = "failed"  # processing error, invalid token, processor unavailable: nothing charged
    REFUSED = "refused"  # brand not accepted: never sent to the processor
    BLOCKED = "blocked"  # the invoice was already paid or being paid: nothing sent


# The CRM event each outcome becomes (card_payment.<type>), and the activity it counts as.
EVENT_TYPES = {
    Outcome.PENDING: "card_payment.started",
    Outcome.SUCCEEDED: "card_payment.succeeded",
    Outcome.DECLINED: "card_payment.declined",
    Outcome.FAILED: "card_payment.failed",
    Outcome.REFUSED: "card_payment.refused",
    Outcome.BLOCKED: "card_payment.blocked",
}
DECLINE_CODES = frozenset(
    {"card_declined", "insufficient_funds", "expired_card", "do_not_honor", "lost_card", "stolen_card"}
)


def outcome_of_failure(code: str | None) -> Outcome:
    return Outcome.DECLINED if code in DECLINE_CODES else Outcome.FAILED


def activity_of(outcome: Outcome) -> str:
    return "paid" if outcome is Outcome.SUCCEEDED else "payment_failed"


def http_status_of(outcome: Outcome, failure_code: str | None = None) -> int:
    """The answer's status: 200 paid, 202 still confirming, 402 not paid, 422 brand refused, 409 blocked."""
    if outcome is Outcome.FAILED and failure_code == "processor_unavailable":
        return 503
    return {
        Outcome.SUCCEEDED: 200,
        Outcome.PENDING: 202,
        Outcome.DECLINED: 402,
        Outcome.FAILED: 402,
        Outcome.REFUSED: 422,
        Outcome.BLOCKED: 409,
    }[outcome]
