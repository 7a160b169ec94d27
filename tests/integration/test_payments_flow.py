"""Payments handlers against moto, with the card processor simulator running in-process (real HTTP).

Each test builds its invoice through PUT /crm/payments/invoices/{number}, pays it through
POST /payments/pay/{token} with tokens the simulator made (as its hosted card form would), and
checks what was stored (PaymentsTable, ReceiptsBucket, outbox events, SES) and what the simulator
charged.
"""

from __future__ import annotations

import io
import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.stub import Stubber
from pypdf import PdfReader

from local.processor_simulator import ProcessorSimulator, sign_webhook
from local.template import Stack
from portal_common import aws, sent_once
from tests.support.lambda_env import LambdaHarness, sample_event
from tests.support.outbox_stream import outbox_stream_event

API_KEY = "sim_integration_key"
WEBHOOK_SECRET = "whsec_integration"
VISA, MASTERCARD = "4242424242424242", "5555555555554444"
AMEX, DISCOVER = "378282246310005", "6011111111111117"
DECLINE, NO_FUNDS, EXPIRED, PROCESSING_ERROR, TIMEOUT = (
    "4000000000000002",
    "4000000000009995",
    "4000000000000069",
    "4000000000000119",
    "4000000000000341",
)


@pytest.fixture
def simulator() -> Iterator[ProcessorSimulator]:
    sim = ProcessorSimulator(API_KEY, WEBHOOK_SECRET, hang_seconds=8).start()
    yield sim
    sim.stop()


@pytest.fixture
def payments(stack: Stack, monkeypatch: pytest.MonkeyPatch, simulator: ProcessorSimulator) -> LambdaHarness:
    """The functions' environments pointed at the simulator, as the local stack does."""
    stack.parameter_overrides.update(
        {"ProcessorMode": "simulator", "ProcessorBaseUrl": simulator.url, "ProcessorTimeoutSeconds": "1"}
    )
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.refs["ProcessorApiSecret"],
        SecretString=json.dumps({"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}),
    )
    return LambdaHarness(stack, monkeypatch)


# -- helpers ---------------------------------------------------------------------------------------
def http_event(
    sample: str, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None, query: str = ""
) -> dict[str, Any]:
    event = sample_event(f"payments/{sample}")
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = query
    event.pop("queryStringParameters", None)
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    event["headers"] = {**event["headers"], **(headers or {})}
    if body is None:
        event.pop("body", None)
    else:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def put_invoice(lambdas: LambdaHarness, number: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "customer": {"name": "Ann Rivera", "email": f"ann.{number.lower()}@example.com"},
        "currency": "USD",
        "due_date": "2026-12-15",
        "lines": [
            {"description": "Shingle replacement", "quantity": "1", "unit_amount": "1100.00"},
            {"description": "Gutter cleaning", "quantity": "2", "unit_amount_minor": 7500},
        ],
        **overrides,
    }
    answer = lambdas.invoke(
        "PaymentsPutInvoiceFunction",
        http_event("put_invoice.json", "PUT", f"/crm/payments/invoices/{number}", body=body),
    )
    assert answer["statusCode"] in (200, 201), answer["body"]
    return {**json.loads(answer["body"]), "status_code": answer["statusCode"]}


def link_token(doc: dict[str, Any]) -> str:
    return urlsplit(doc["payment_link"]["url"]).path.rsplit("/", 1)[1]


def card_token(sim: ProcessorSimulator, number: str) -> str:
    """What the processor's hosted card form does: the card goes to the processor, a token comes back."""
    return sim.state.tokenize({"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123"}).id


def pay(lambdas: LambdaHarness, token: str, card: str, attempt_id: str | None = None) -> tuple[int, dict[str, Any]]:
    answer = lambdas.invoke(
        "PaymentsPayInvoiceFunction",
        http_event(
            "pay_invoice.json",
            "POST",
            f"/payments/pay/{token}",
            body={"attempt_id": attempt_id or uuid.uuid4().hex, "card_token": card},
        ),
    )
    return answer["statusCode"], json.loads(answer["body"])


def invoice_detail(lambdas: LambdaHarness, number: str) -> dict[str, Any]:
    answer = lambdas.invoke(
        "PaymentsGetInvoiceFunction", http_event("get_invoice.json", "GET", f"/crm/payments/invoices/{number}")
    )
    assert answer["statusCode"] == 200, answer["body"]
    return json.loads(answer["body"])


def outbox_events(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    return sorted((json.loads(i["event"]["S"]) for i in items), key=lambda e: e["occurred_at"])


def receipt_emails(address: str) -> list[str]:
    from moto.backends import get_backend

    sent = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    return [m.raw_data for m in sent if address in m.destinations]


def charges_for(sim: ProcessorSimulator, number: str) -> list[dict[str, Any]]:
    return [c for c in sim.state.all_charges() if c["reference"] == number]


# -- CRM: invoices -----------------------------------------------------------------------------------
def test_the_crm_creates_an_invoice_and_gets_its_signed_payment_link(stack: Stack, payments: LambdaHarness) -> None:
    # When the CRM puts a new invoice (amount given by its lines)
    created = put_invoice(payments, "INV-2001")
    # Then it is created with the lines' total and a 60-day payment link on this API
    assert created["status_code"] == 201 and created["created"] is True
    assert created["invoice"]["amount_minor"] == 125000
    assert created["invoice"]["amount_display"] == "USD 1,250.00"
    assert created["invoice"]["status"] == "open"
    assert created["payment_link"]["url"].startswith(
        "https://example.execute-api.us-east-1.amazonaws.com/payments/pay/"
    )
    expires = datetime.fromisoformat(created["payment_link"]["expires_at"])
    assert timedelta(days=59) < expires - datetime.now(UTC) <= timedelta(days=60)
    # When the CRM changes it while open
    updated = put_invoice(payments, "INV-2001", lines=[], amount="99.95")
    # Then it is updated, and the CRM got one event for each write
    assert updated["status_code"] == 200 and updated["invoice"]["amount_minor"] == 9995
    types = [e["type"] for e in outbox_events(stack) if e["subject"] == "invoice:INV-2001"]
    assert types == ["invoice.created", "invoice.updated"]


def test_amounts_that_do_not_add_up_are_refused(payments: LambdaHarness) -> None:
    # Given an amount that is not the sum of the lines, and a currency we do not invoice in
    for body in (
        {"amount_minor": 100, "lines": [{"description": "x", "unit_amount_minor": 50}]},
        {"amount": "10.001", "lines": []},
        {"amount": "10.00", "currency": "XYZ", "lines": []},
    ):
        answer = payments.invoke(
            "PaymentsPutInvoiceFunction",
            http_event(
                "put_invoice.json",
                "PUT",
                "/crm/payments/invoices/INV-BAD",
                body={"customer": {"name": "A", "email": "a@example.com"}, "due_date": "2026-12-01", **body},
            ),
        )
        # Then each is a 422 and nothing is stored
        assert answer["statusCode"] == 422, body
    missing = payments.invoke(
        "PaymentsGetInvoiceFunction", http_event("get_invoice.json", "GET", "/crm/payments/invoices/INV-BAD")
    )
    assert missing["statusCode"] == 404


# -- paying --------------------------------------------------------------------------------------------
def test_a_visa_payment_is_charged_once_recorded_receipted_and_emailed(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    # Given an open invoice and a Visa token from the hosted card form
    token = link_token(put_invoice(payments, "INV-2002"))
    attempt_id = uuid.uuid4().hex
    card = card_token(simulator, VISA)
    # When the customer pays
    status, result = pay(payments, token, card, attempt_id)
    # Then it succeeds and the invoice is paid
    assert status == 200, result
    assert result["outcome"] == "succeeded" and result["invoice_status"] == "paid"
    assert result["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}
    # And the same request again (a double click, a retry) is the same attempt: no second charge
    again_status, again = pay(payments, token, card, attempt_id)
    assert (again_status, again) == (status, result)
    charges = charges_for(simulator, "INV-2002")
    assert len(charges) == 1 and charges[0]["amount"] == 125000 and charges[0]["status"] == "succeeded"
    assert charges[0]["idempotency_key"] == f"inv:INV-2002:att:{attempt_id}"
    # And the attempt is stored with brand and last 4 only
    detail = invoice_detail(payments, "INV-2002")
    assert detail["invoice"]["status"] == "paid" and detail["invoice"]["charge_id"] == charges[0]["id"]
    assert [(a["outcome"], a["card_brand"], a["card_last4"]) for a in detail["attempts"]] == [
        ("succeeded", "visa", "4242")
    ]
    # And the CRM gets the attempt's events and the customer's activity
    events = [e for e in outbox_events(stack) if e["subject"] == "invoice:INV-2002"]
    assert [e["type"] for e in events if e["type"].startswith("card_payment.")] == [
        "card_payment.started",
        "card_payment.succeeded",
    ]
    succeeded = next(e for e in events if e["type"] == "card_payment.succeeded")
    assert succeeded["data"]["processor_charge_id"] == charges[0]["id"] and succeeded["data"]["card_last4"] == "4242"
    assert any(e["type"] == "activity" and e["data"]["action"] == "paid" for e in events)
    # And the answer did not wait for the receipt: no PDF and no email yet
    s3 = boto3.client("s3")
    key = f"receipts/INV-2002/{charges[0]['id']}.pdf"
    assert s3.list_objects_v2(Bucket=stack.refs["ReceiptsBucket"], Prefix=key).get("KeyCount") == 0
    assert receipt_emails("ann.inv-2002@example.com") == []
    # When the receipt mailer gets the outbox stream's records (those its template filter lets through)
    paid_records = outbox_stream_event(stack, "PaymentsSendReceiptFunction")
    assert [json.loads(r["dynamodb"]["NewImage"]["event"]["S"])["type"] for r in paid_records["Records"]] == [
        "card_payment.succeeded"
    ]
    mailer = payments.handler("PaymentsSendReceiptFunction")
    assert mailer(paid_records) == {"batchItemFailures": []}
    # Then the receipt PDF is in the bucket with the amount, the date and the last 4
    pdf = s3.get_object(Bucket=stack.refs["ReceiptsBucket"], Key=key)["Body"].read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "USD 1,250.00" in text and "4242" in text and charges[0]["id"] in text and "INV-2002" in text
    # And the receipt email went to the customer with the receipt link
    raw = receipt_emails("ann.inv-2002@example.com")
    assert len(raw) == 1 and "/payments/receipts/" in raw[0] and "USD 1,250.00" in raw[0]
    # And the stream delivering the same record again (a retry, a replay) mails nothing more
    assert mailer(paid_records) == {"batchItemFailures": []}
    assert len(receipt_emails("ann.inv-2002@example.com")) == 1


def paid_event_and_mailer(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator, number: str
) -> tuple[dict[str, Any], Any]:
    """A paid invoice's card_payment.succeeded stream record, and the receipt mailer's handler."""
    token = link_token(put_invoice(payments, number))
    assert pay(payments, token, card_token(simulator, MASTERCARD))[0] == 200
    records = outbox_stream_event(stack, "PaymentsSendReceiptFunction")
    (record,) = [r for r in records["Records"] if number in r["dynamodb"]["NewImage"]["event"]["S"]]
    return record, payments.handler("PaymentsSendReceiptFunction")


def test_a_receipt_email_that_fails_is_retried_from_the_stream_and_sent_once(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    # Given a paid invoice and its paid event on the outbox stream
    record, mailer = paid_event_and_mailer(stack, payments, simulator, "INV-2012")
    # When SES is unavailable as the mailer sends it
    with Stubber(aws.client("sesv2")) as ses_down:
        ses_down.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        answer = mailer({"Records": [record]})
    # Then the record is reported failed, so the stream delivers it again, and nothing was mailed
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert receipt_emails("ann.inv-2012@example.com") == []
    # When the stream delivers it again, twice
    assert mailer({"Records": [record]}) == {"batchItemFailures": []}
    assert mailer({"Records": [record]}) == {"batchItemFailures": []}
    # Then the customer got exactly one receipt email
    assert len(receipt_emails("ann.inv-2012@example.com")) == 1


def test_a_receipt_email_claimed_by_a_delivery_that_stopped_is_sent_once_its_claim_is_stale(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a paid invoice whose receipt email a delivery claimed, then stopped (a timeout, a crash)
    record, mailer = paid_event_and_mailer(stack, payments, simulator, "INV-2013")
    repository = sys.modules["card_payments.repository"]  # the mailer's own, as it loaded it
    notifications = sys.modules["card_payments.notifications"]
    charge_id = charges_for(simulator, "INV-2013")[0]["id"]
    table, key = repository.receipt_email_claim("INV-2013", charge_id)
    assert sent_once.claim(table, key, datetime.now(UTC), notifications.RECEIPT_CLAIM_SECONDS) == "claimed"
    # When the stream delivers the event while that claim is fresh
    answer = mailer({"Records": [record]})
    # Then the record fails (the stream delivers it again later) and nothing is mailed yet
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert receipt_emails("ann.inv-2013@example.com") == []
    # When it is delivered again after the claim went stale
    monkeypatch.setattr(notifications, "RECEIPT_CLAIM_SECONDS", -1)
    assert mailer({"Records": [record]}) == {"batchItemFailures": []}
    # Then the customer got the receipt email, once, and later deliveries send nothing more
    assert mailer({"Records": [record]}) == {"batchItemFailures": []}
    assert len(receipt_emails("ann.inv-2013@example.com")) == 1


def test_a_paid_invoice_blocks_every_later_attempt_and_shows_already_paid(
    payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    # Given a paid invoice
    token = link_token(put_invoice(payments, "INV-2003"))
    assert pay(payments, token, card_token(simulator, MASTERCARD))[0] == 200
    # When another tab pays it again with a new attempt
    status, result = pay(payments, token, card_token(simulator, VISA))
    # Then nothing is charged, and the attempt is recorded as blocked
    assert status == 409 and result["outcome"] == "blocked" and result["failure_code"] == "already_paid"
    assert len(charges_for(simulator, "INV-2003")) == 1
    outcomes = [a["outcome"] for a in invoice_detail(payments, "INV-2003")["attempts"]]
    assert sorted(outcomes) == ["blocked", "succeeded"]
    # And the payment page says it is already paid, with the receipt link
    page = payments.invoke(
        "PaymentsPayPageFunction",
        http_event("pay_page.json", "GET", f"/payments/pay/{token}", headers={"accept": "text/html"}),
    )
    assert page["statusCode"] == 200
    assert "already paid" in page["body"] and "/payments/receipts/" in page["body"]
    assert "<iframe" not in page["body"]
    # And the CRM can no longer change it
    body = {"customer": {"name": "A", "email": "a@example.com"}, "due_date": "2026-12-01", "amount": "1.00"}
    answer = payments.invoke(
        "PaymentsPutInvoiceFunction",
        http_event("put_invoice.json", "PUT", "/crm/payments/invoices/INV-2003", body=body),
    )
    assert answer["statusCode"] == 409


REFUSED_OR_FAILED = [
    # card, answer status, outcome, failure code, charged at the processor
    (AMEX, 422, "refused", "brand_not_accepted", False),
    (DISCOVER, 422, "refused", "brand_not_accepted", False),
    (DECLINE, 402, "declined", "card_declined", True),
    (NO_FUNDS, 402, "declined", "insufficient_funds", True),
    (EXPIRED, 402, "declined", "expired_card", True),
    (PROCESSING_ERROR, 402, "failed", "processing_error", True),
]


def test_a_refused_or_failed_card_leaves_the_invoice_open_and_is_recorded(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    for card, status, outcome, code, charged in REFUSED_OR_FAILED:
        # Given an open invoice
        number = f"INV-{code[:8].upper()}-{card[-4:]}"
        token = link_token(put_invoice(payments, number))
        # When the customer pays with the card
        answer_status, result = pay(payments, token, card_token(simulator, card))
        # Then the answer says why, and the invoice stays open
        assert (answer_status, result["outcome"], result["failure_code"]) == (status, outcome, code), card
        assert result["invoice_status"] == "open"
        if outcome == "refused":
            assert "Visa and MasterCard only" in result["message"]
        detail = invoice_detail(payments, number)
        assert detail["invoice"]["status"] == "open"
        # And the attempt is recorded with its outcome, and sent to the CRM
        assert [(a["outcome"], a["failure_code"], a["card_last4"]) for a in detail["attempts"]] == [
            (outcome, code, card[-4:])
        ]
        types = [e["type"] for e in outbox_events(stack) if e["subject"] == f"invoice:{number}"]
        assert f"card_payment.{outcome}" in types and "activity" in types
        # And a refused brand never reaches the processor as a charge
        assert len(charges_for(simulator, number)) == (1 if charged else 0), card
        # And the invoice can still be paid with a good card
        status_after, paid = pay(payments, token, card_token(simulator, VISA))
        assert (status_after, paid["outcome"]) == (200, "succeeded"), card


def test_a_charge_that_times_out_is_looked_up_by_its_idempotency_key_not_guessed(
    payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    # Given the card whose charge succeeds at the processor but answers after our timeout (1 s here)
    token = link_token(put_invoice(payments, "INV-2005"))
    # When the customer pays
    status, result = pay(payments, token, card_token(simulator, TIMEOUT))
    # Then the charge call timed out (resolved_by), the charge was looked up by its key, and it is paid
    # (speed is measured by `make bench`, never asserted here)
    assert status == 200 and result["outcome"] == "succeeded"
    attempts = invoice_detail(payments, "INV-2005")["attempts"]
    assert [(a["outcome"], a["resolved_by"]) for a in attempts] == [("succeeded", "timeout_lookup")]
    assert len(charges_for(simulator, "INV-2005")) == 1


def _leave_pending(
    payments: LambdaHarness, simulator: ProcessorSimulator, number: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """A payment whose answer never came and whose lookup found nothing (yet): the invoice is paying."""
    token = link_token(put_invoice(payments, number))
    attempt_id = uuid.uuid4().hex
    with monkeypatch.context() as patch:
        patch.setattr(simulator.state, "find", lambda key: [])
        status, result = pay(payments, token, card_token(simulator, TIMEOUT), attempt_id)
    assert status == 202 and result["outcome"] == "pending" and result["invoice_status"] == "paying"
    return token, attempt_id


def test_a_signed_webhook_settles_a_pending_attempt_and_a_forged_one_is_refused(
    payments: LambdaHarness, simulator: ProcessorSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a payment left pending (the charge happened, but neither its answer nor a lookup came)
    token, attempt_id = _leave_pending(payments, simulator, "INV-2006", monkeypatch)
    # And meanwhile another tab is blocked: nothing is charged twice
    status, blocked = pay(payments, token, card_token(simulator, VISA))
    assert status == 409 and blocked["failure_code"] == "payment_in_progress"
    charge = charges_for(simulator, "INV-2006")[0]
    body = json.dumps(
        {"id": "evt_test_1", "type": "charge.succeeded", "created": int(time.time()), "data": {"charge": charge}}
    ).encode()

    def webhook(signature: str) -> dict[str, Any]:
        return payments.invoke(
            "PaymentsProcessorWebhookFunction",
            http_event(
                "processor_webhook.json",
                "POST",
                "/payments/webhooks/processor",
                body=body.decode(),
                headers={"processor-signature": signature},
            ),
        )

    # When a forged webhook arrives
    forged = webhook(sign_webhook("not-the-secret", body))
    # Then it is refused and changes nothing
    assert forged["statusCode"] == 403
    assert invoice_detail(payments, "INV-2006")["invoice"]["status"] == "paying"
    # When the processor's signed webhook arrives (twice: webhooks are retried)
    first = webhook(sign_webhook(WEBHOOK_SECRET, body))
    second = webhook(sign_webhook(WEBHOOK_SECRET, body))
    # Then the attempt is settled once, by the webhook
    assert first["statusCode"] == 200 and json.loads(first["body"]) == {"result": "settled"}
    assert second["statusCode"] == 200
    detail = invoice_detail(payments, "INV-2006")
    assert detail["invoice"]["status"] == "paid" and detail["invoice"]["charge_id"] == charge["id"]
    settled = [a for a in detail["attempts"] if a["attempt_id"] == attempt_id]
    assert [(a["outcome"], a["resolved_by"]) for a in settled] == [("succeeded", "webhook")]


def test_a_stale_pending_attempt_without_a_charge_is_released_by_reconciliation(
    stack: Stack, payments: LambdaHarness, simulator: ProcessorSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a pending payment the processor has no charge for, older than the stale limit
    _token, attempt_id = _leave_pending(payments, simulator, "INV-2007", monkeypatch)
    key = f"inv:INV-2007:att:{attempt_id}"
    simulator.state.by_key.pop(key)  # the processor never recorded it
    old = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    boto3.client("dynamodb").update_item(
        TableName=stack.refs["PaymentsTable"],
        Key={"pk": {"S": "INVOICE#INV-2007"}, "sk": {"S": "INVOICE"}},
        UpdateExpression="SET #p.started_at = :old",
        ExpressionAttributeNames={"#p": "pending"},
        ExpressionAttributeValues={":old": {"S": old}},
    )
    # When the scheduled reconciliation runs
    answer = payments.invoke("PaymentsReconcileFunction", sample_event("payments/reconcile_payments.json"))
    # Then the invoice is open again and the attempt failed as "not charged"
    assert answer == {"settled": 1}
    detail = invoice_detail(payments, "INV-2007")
    assert detail["invoice"]["status"] == "open"
    assert [(a["outcome"], a["failure_code"]) for a in detail["attempts"]] == [("failed", "not_charged")]


# -- the page and its links -----------------------------------------------------------------------------
def test_the_payment_page_shows_the_invoice_and_the_processors_card_form(
    payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    token = link_token(put_invoice(payments, "INV-2008"))
    page = payments.invoke(
        "PaymentsPayPageFunction",
        http_event("pay_page.json", "GET", f"/payments/pay/{token}", headers={"accept": "text/html"}),
    )
    assert page["statusCode"] == 200
    body = page["body"]
    assert "INV-2008" in body and "USD 1,250.00" in body and "Visa" in body and "MasterCard" in body
    assert f'src="{simulator.url}/hosted/card?' in body
    assert 'name="csrf_token"' in body and 'name="card_number"' not in body


def test_a_form_post_without_its_csrf_token_is_refused(payments: LambdaHarness, simulator: ProcessorSimulator) -> None:
    token = link_token(put_invoice(payments, "INV-2009"))
    answer = payments.invoke(
        "PaymentsPayInvoiceFunction",
        http_event(
            "pay_invoice.json",
            "POST",
            f"/payments/pay/{token}",
            body=f"attempt_id={uuid.uuid4().hex}&card_token={card_token(simulator, VISA)}",
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
        ),
    )
    assert answer["statusCode"] == 403
    assert charges_for(simulator, "INV-2009") == []


def test_a_tampered_link_is_refused_and_an_expired_one_says_to_ask_for_a_new_link(payments: LambdaHarness) -> None:
    token = link_token(put_invoice(payments, "INV-2010"))
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    page = payments.invoke("PaymentsPayPageFunction", http_event("pay_page.json", "GET", f"/payments/pay/{tampered}"))
    assert page["statusCode"] == 403
    from portal_common.links import sign_link

    expired = sign_link("pay", "INV-2010", 60, now=time.time() - 3600)
    gone = payments.invoke("PaymentsPayPageFunction", http_event("pay_page.json", "GET", f"/payments/pay/{expired}"))
    assert gone["statusCode"] == 410
    assert "new payment link" in gone["body"]


# -- the CC Payments report --------------------------------------------------------------------------
def report(lambdas: LambdaHarness, query: str, accept: str = "application/json") -> dict[str, Any]:
    return lambdas.invoke(
        "PaymentsReportFunction",
        http_event("payments_report.json", "GET", "/crm/payments/report", query=query, headers={"accept": accept}),
    )


def test_the_report_lists_attempts_by_day_invoice_and_outcome_as_json_and_csv_without_scanning(
    payments: LambdaHarness, simulator: ProcessorSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two invoices with a decline, a refused brand and a success
    first = link_token(put_invoice(payments, "INV-3001"))
    second = link_token(put_invoice(payments, "INV-3002"))
    pay(payments, first, card_token(simulator, DECLINE))
    pay(payments, first, card_token(simulator, AMEX))
    pay(payments, second, card_token(simulator, VISA))
    today = datetime.now(UTC).date()
    # And a DynamoDB client that fails the test if anything scans
    from portal_common import aws

    def no_scan(*_: Any, **__: Any) -> None:
        raise AssertionError("the report must query, never scan")

    monkeypatch.setattr(aws.client("dynamodb"), "scan", no_scan)
    # When the CRM asks for today's attempts
    by_day = json.loads(report(payments, f"from={today}&to={today}")["body"])
    # Then all three are there, oldest first
    mine = [a for a in by_day["attempts"] if a["invoice_number"] in ("INV-3001", "INV-3002")]
    assert [(a["invoice_number"], a["outcome"]) for a in mine] == [
        ("INV-3001", "declined"),
        ("INV-3001", "refused"),
        ("INV-3002", "succeeded"),
    ]
    assert by_day["from"] == by_day["to"] == today.isoformat()
    # When it asks for one invoice, and for one outcome over a week
    by_invoice = json.loads(report(payments, "invoice=INV-3001")["body"])
    assert [a["outcome"] for a in by_invoice["attempts"]] == ["declined", "refused"]
    week = f"from={today - timedelta(days=6)}&to={today}&outcome=succeeded"
    succeeded = json.loads(report(payments, week)["body"])
    assert {a["invoice_number"] for a in succeeded["attempts"]} >= {"INV-3002"}
    assert {a["outcome"] for a in succeeded["attempts"]} == {"succeeded"}
    # When it asks for CSV
    csv_answer = report(payments, "invoice=INV-3002&format=csv")
    # Then it is a CSV with a header and one row per attempt (card: brand and last 4 only)
    assert csv_answer["statusCode"] == 200
    assert csv_answer["headers"]["Content-Type"].startswith("text/csv")
    lines = csv_answer["body"].strip().splitlines()
    assert lines[0].startswith("attempt_id,invoice_number,attempted_at,finished_at,outcome")
    assert len(lines) == 2 and ",succeeded," in lines[1] and ",visa,4242," in lines[1]
    # And a range the wrong way round is refused
    assert report(payments, f"from={today}&to={today - timedelta(days=1)}")["statusCode"] == 422


def test_the_report_comes_a_page_at_a_time_and_the_pages_add_up_to_the_whole(
    payments: LambdaHarness, simulator: ProcessorSimulator
) -> None:
    # Given attempts on two invoices today (more than a page of 2)
    first = link_token(put_invoice(payments, "INV-3101"))
    second = link_token(put_invoice(payments, "INV-3102"))
    for token, card in ((first, DECLINE), (first, AMEX), (first, DECLINE), (second, VISA)):
        pay(payments, token, card_token(simulator, card))
    today = datetime.now(UTC).date()
    week = f"from={today - timedelta(days=6)}&to={today}"
    whole = json.loads(report(payments, f"{week}&limit=5000")["body"])
    assert whole["next_cursor"] is None

    def walk(query: str, limit: int) -> tuple[list[str], int]:
        ids: list[str] = []
        pages, cursor = 0, None
        while True:
            answer = report(payments, f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
            assert answer["statusCode"] == 200, answer["body"]
            page = json.loads(answer["body"])
            assert page["count"] == len(page["attempts"]) <= limit
            ids += [a["attempt_id"] for a in page["attempts"]]
            pages, cursor = pages + 1, page["next_cursor"]
            if cursor is None:
                return ids, pages

    # When the CRM walks the week 2 attempts at a time
    ids, pages = walk(week, 2)
    # Then the pages hold every attempt once, in the same order as one big page
    assert ids == [a["attempt_id"] for a in whole["attempts"]]
    assert pages == -(-len(ids) // 2)
    # And the same holds for one invoice, and with an outcome filter
    by_invoice, _ = walk("invoice=INV-3101", 1)
    assert len(by_invoice) == 3
    declined, _ = walk(f"{week}&outcome=declined", 1)
    assert set(declined) >= {a["attempt_id"] for a in whole["attempts"] if a["outcome"] == "declined"}
    # And a CSV page says where the next one starts
    csv_page = report(payments, "invoice=INV-3101&format=csv&limit=2")
    assert csv_page["headers"]["X-Next-Cursor"]
    assert len(csv_page["body"].strip().splitlines()) == 3
    # And a cursor that was edited, or made for another invoice, is refused, saying what to do
    cursor = json.loads(report(payments, "invoice=INV-3101&limit=1")["body"])["next_cursor"]
    for bad in ("not-a-cursor", cursor[:-3]):
        refused = report(payments, f"invoice=INV-3101&cursor={bad}")
        assert refused["statusCode"] == 400 and "out of date" in refused["body"], refused["body"]
    assert report(payments, f"invoice=INV-3102&cursor={cursor}")["statusCode"] == 400
    assert report(payments, f"{week}&cursor={cursor}")["statusCode"] == 400
    # (also the same invoice's cursor with days its page could not have come from)
    long_ago = f"from={today - timedelta(days=30)}&to={today - timedelta(days=20)}"
    assert report(payments, f"invoice=INV-3101&{long_ago}&cursor={cursor}")["statusCode"] == 400
    # And a page size out of bounds is a 422
    assert report(payments, f"{week}&limit=0")["statusCode"] == 422
    assert report(payments, f"{week}&limit=5001")["statusCode"] == 422
