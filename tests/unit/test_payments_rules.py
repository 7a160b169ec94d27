"""Payments rules without AWS or sockets: card brands, the invoice's states, amounts, the CRM's
invoice input, webhook signatures, and the simulator's card checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from functions.payments.card_payments import money
from functions.payments.card_payments.bank_api import verify_webhook
from functions.payments.card_payments.brands import (
    ACCEPTED_BRANDS,
    brand_label,
    is_accepted,
    normalize_brand,
    refusal_message,
)
from functions.payments.card_payments.models import InvoiceIn, ReportQuery
from functions.payments.card_payments.processor import WebhookRejected
from functions.payments.card_payments.report import _cell
from functions.payments.card_payments.states import (
    Action,
    InvalidTransition,
    InvoiceStatus,
    Outcome,
    activity_of,
    can_edit,
    http_status_of,
    outcome_of_failure,
    transition,
)
from local.processor_simulator import TEST_CARDS, ApiError, ProcessorState, detect_brand, luhn_valid, sign_webhook


# -- brands ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "brand"),
    [
        ("Visa", "visa"),
        ("VISA", "visa"),
        ("MasterCard", "mastercard"),
        ("master_card", "mastercard"),
        ("MC", "mastercard"),
        ("American Express", "amex"),
        ("amex", "amex"),
        ("Discover", "discover"),
        ("diners club", "diners"),
        ("", "unknown"),
        (None, "unknown"),
        ("Maestro-ish", "unknown"),
    ],
)
def test_processor_brand_names_are_normalized(raw: str | None, brand: str) -> None:
    assert normalize_brand(raw) == brand


def test_only_visa_and_mastercard_are_accepted() -> None:
    assert {"visa", "mastercard"} == ACCEPTED_BRANDS
    assert is_accepted("Visa") and is_accepted("MasterCard")
    for other in ("amex", "discover", "jcb", "diners", "unionpay", "unknown"):
        assert not is_accepted(other)


def test_a_refused_brand_gets_a_clear_message() -> None:
    assert refusal_message("amex") == (
        "We accept Visa and MasterCard only. American Express cards cannot be used here: "
        "please pay with a Visa or MasterCard."
    )
    assert "This card cannot be used here" in refusal_message("unknown")
    assert brand_label("mastercard") == "MasterCard"


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("30569309025904", "diners"),
    ],
)
def test_the_simulator_detects_the_brand_from_the_number(number: str, brand: str) -> None:
    assert detect_brand(number) == brand


def test_every_test_card_passes_the_luhn_check_and_a_typo_does_not() -> None:
    for number in TEST_CARDS:
        assert luhn_valid(number), number
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("42424242")


def test_a_token_keeps_brand_last4_and_expiry_never_the_number() -> None:
    # Given the simulator's hosted form posting a card
    state = ProcessorState()
    token = state.tokenize({"number": "4242 4242 4242 4242", "exp_month": "7", "exp_year": "31", "cvc": "123"})
    # Then the token holds only what may be kept
    assert token.card() == {"brand": "visa", "last4": "4242", "exp_month": 7, "exp_year": 2031}
    assert "4242424242424242" not in repr(vars(token))
    # And a past expiry or a bad number is refused field by field
    with pytest.raises(ApiError) as refused:
        state.tokenize({"number": "4242424242424241", "exp_month": "1", "exp_year": "2020", "cvc": "1"})
    assert set(refused.value.extra["fields"]) == {"number", "exp_year", "cvc"}


def test_the_simulator_honours_idempotency_keys() -> None:
    state = ProcessorState()
    token = state.tokenize({"number": "5555555555554444", "exp_month": "12", "exp_year": "2030", "cvc": "123"}).id
    body = {"token": token, "amount": 1000, "currency": "USD", "reference": "INV-1"}
    first, created = state.charge("inv:INV-1:att:aaaaaaaa", body)
    again, created_again = state.charge("inv:INV-1:att:aaaaaaaa", body)
    assert created and not created_again and first.id == again.id
    assert len(state.all_charges()) == 1
    with pytest.raises(ApiError) as reused:
        state.charge("inv:INV-1:att:aaaaaaaa", {**body, "amount": 2000})
    assert reused.value.code == "idempotency_key_reused"


# -- states ----------------------------------------------------------------------------------------
def test_an_invoice_goes_open_paying_paid() -> None:
    assert transition(InvoiceStatus.OPEN, Action.START) is InvoiceStatus.PAYING
    assert transition(InvoiceStatus.PAYING, Action.SUCCEED) is InvoiceStatus.PAID
    assert transition(InvoiceStatus.PAYING, Action.FAIL) is InvoiceStatus.OPEN
    assert transition(InvoiceStatus.PAYING, Action.RELEASE) is InvoiceStatus.OPEN


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (InvoiceStatus.PAYING, Action.START),  # a second attempt while one is charging
        (InvoiceStatus.PAID, Action.START),  # paying a paid invoice
        (InvoiceStatus.PAID, Action.SUCCEED),
        (InvoiceStatus.PAID, Action.FAIL),
        (InvoiceStatus.OPEN, Action.FAIL),
    ],
)
def test_transitions_that_would_charge_twice_or_undo_a_payment_do_not_exist(
    status: InvoiceStatus, action: Action
) -> None:
    with pytest.raises(InvalidTransition):
        transition(status, action)


def test_only_an_open_invoice_can_be_changed_by_the_crm() -> None:
    assert can_edit(InvoiceStatus.OPEN)
    assert not can_edit(InvoiceStatus.PAYING) and not can_edit(InvoiceStatus.PAID)


def test_outcomes_map_to_declines_failures_activities_and_answers() -> None:
    for code in ("card_declined", "insufficient_funds", "expired_card"):
        assert outcome_of_failure(code) is Outcome.DECLINED
    assert outcome_of_failure("processing_error") is Outcome.FAILED
    assert activity_of(Outcome.SUCCEEDED) == "paid"
    assert {activity_of(o) for o in Outcome if o is not Outcome.SUCCEEDED} == {"payment_failed"}
    assert http_status_of(Outcome.SUCCEEDED) == 200
    assert http_status_of(Outcome.BLOCKED) == 409
    assert http_status_of(Outcome.REFUSED) == 422
    assert http_status_of(Outcome.FAILED, "processor_unavailable") == 503


# -- amounts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("1250.00", "USD", 125000), ("0.01", "USD", 1), ("12.5", "EUR", 1250), ("1500", "JPY", 1500), (7, "CAD", 700)],
)
def test_amounts_become_exact_minor_units(amount: str, currency: str, minor: int) -> None:
    assert money.to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"), [("10.001", "USD"), ("1.5", "JPY"), ("abc", "USD"), ("NaN", "USD"), ("1", "XYZ")]
)
def test_impossible_amounts_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(money.AmountError):
        money.to_minor(amount, currency)


def test_amounts_are_shown_with_their_currency_code() -> None:
    assert money.format_amount(125000, "USD") == "USD 1,250.00"
    assert money.format_amount(1500, "JPY") == "JPY 1,500"
    assert money.line_total(Decimal("2.5"), 333) == 833  # half-up to the cent
    with pytest.raises(money.AmountError):
        money.check_minor(0)


def _invoice(**overrides: object) -> InvoiceIn:
    return InvoiceIn.model_validate(
        {"customer": {"name": "Ann", "email": "ann@example.com"}, "due_date": "2026-12-01", **overrides}
    )


def test_an_invoice_amount_comes_from_its_lines_or_must_equal_them() -> None:
    lines = [
        {"description": "Shingles", "quantity": "1", "unit_amount": "1100.00"},
        {"description": "Gutters", "quantity": "2", "unit_amount_minor": 7500},
    ]
    assert _invoice(lines=lines).content().amount_minor == 125000
    assert _invoice(lines=lines, amount="1250.00").content().amount_minor == 125000
    with pytest.raises(money.AmountError):
        _invoice(lines=lines, amount="1249.99").content()
    with pytest.raises(money.AmountError):
        _invoice().content()
    assert _invoice(currency="cad", amount_minor=500).content().currency == "CAD"


def test_a_report_query_reads_blank_fields_and_comma_separated_outcomes() -> None:
    query = ReportQuery.model_validate({"from": "2026-11-01", "to": "", "invoice": "", "outcomes": "declined,refused"})
    assert query.date_from == date(2026, 11, 1) and query.date_to is None and query.invoice is None
    assert query.outcomes == [Outcome.DECLINED, Outcome.REFUSED]
    with pytest.raises(ValueError):
        ReportQuery.model_validate({"from": "2026-11-02", "to": "2026-11-01"})


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("-5") == "'-5" and _cell("INV-1") == "INV-1" and _cell(None) == ""


# -- webhook signatures ----------------------------------------------------------------------------
def test_a_webhook_signed_with_the_secret_and_recent_is_accepted() -> None:
    body = b'{"id": "evt_1", "type": "charge.succeeded", "created": 1000, "data": {}}'
    event = verify_webhook(body, sign_webhook("s3cret", body, timestamp=1000), "s3cret", now=1100)
    assert (event.id, event.type, event.charge) == ("evt_1", "charge.succeeded", None)


@pytest.mark.parametrize(
    ("header", "now"),
    [
        ("t=1000,v1=deadbeef", 1000),  # wrong signature
        ("v1=deadbeef", 1000),  # no timestamp
        ("", 1000),  # no header
        (None, 2000),  # signed right but too old (replay)
    ],
)
def test_a_forged_or_replayed_webhook_is_rejected(header: str | None, now: int) -> None:
    body = b'{"id": "evt_1", "type": "charge.succeeded"}'
    signature = header if header is not None else sign_webhook("s3cret", body, timestamp=1000)
    with pytest.raises(WebhookRejected):
        verify_webhook(body, signature, "s3cret", now=now)
    with pytest.raises(WebhookRejected):  # and a changed body never passes
        verify_webhook(body + b" ", sign_webhook("s3cret", body, timestamp=now), "s3cret", now=now)


def test_a_card_number_is_never_accepted_as_a_card_token() -> None:
    from functions.payments.card_payments.models import PayForm
    from portal_common.web.forms import validate

    form, problems = validate(PayForm, {"attempt_id": "a1b2c3d4e5f6", "card_token": "4242424242424242"})
    assert form is None and "card_token" in problems
    assert "4242424242424242" not in str(problems)
    form, problems = validate(PayForm, {"attempt_id": "a1b2c3d4e5f6", "card_token": "tok_4242abc"})
    assert form is not None and problems == {}
