"""Payments over real HTTP on the local stack: the CRM's invoice route, the payment route, the card
processor simulator on its own port (its hosted form's token endpoint is called as the iframe would),
the CC Payments report and the CRM log."""

from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from pypdf import PdfReader

from tests.support.local_stack import LocalStackProcess

JSON = {"accept": "application/json"}
VISA, MASTERCARD, AMEX = "4242424242424242", "5555555555554444", "378282246310005"
DECLINE, PROCESSING_ERROR, TIMEOUT = "4000000000000002", "4000000000000119", "4000000000000341"


def new_invoice(stack: LocalStackProcess, amount: str = "1250.00") -> tuple[str, str]:
    """(invoice number, payment link) made through the CRM's route."""
    number = f"INV-E2E-{uuid.uuid4().hex[:10].upper()}"
    body = {
        "customer": {"name": "Erin End-to-End", "email": f"erin.{number.lower()}@example.com"},
        "currency": "USD",
        "amount": amount,
        "due_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "description": "End-to-end test invoice",
    }
    with stack.client() as http:
        answer = http.put(f"/crm/payments/invoices/{number}", json=body, headers=JSON)
    assert answer.status_code == 201, answer.text
    return number, answer.json()["payment_link"]["url"]


def simulator_url(link: str) -> str:
    """The processor's origin, from the hosted card form the payment page embeds."""
    page = httpx.get(link, headers=JSON, timeout=60).json()
    parts = urlsplit(page["hosted_fields_url"])
    return f"{parts.scheme}://{parts.netloc}"


def card_token(simulator: str, number: str) -> str:
    """What the processor's hosted card form does in the customer's browser."""
    answer = httpx.post(
        f"{simulator}/v1/tokens",
        json={"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123", "name": "Erin"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def pay(link: str, token: str, attempt_id: str | None = None) -> httpx.Response:
    return httpx.post(
        link, json={"attempt_id": attempt_id or uuid.uuid4().hex, "card_token": token}, headers=JSON, timeout=90
    )


def charges(simulator: str, number: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{simulator}/_simulator/charges", params={"reference": number}, timeout=30).json()["data"])


def report(stack: LocalStackProcess, **params: str) -> dict[str, Any]:
    with stack.client() as http:
        answer = http.get("/crm/payments/report", params=params, headers=JSON)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def invoice_status(stack: LocalStackProcess, number: str) -> str:
    with stack.client() as http:
        return str(http.get(f"/crm/payments/invoices/{number}", headers=JSON).json()["invoice"]["status"])


def test_twenty_concurrent_payments_of_one_invoice_charge_once_and_are_all_in_the_report(
    local_stack: LocalStackProcess,
) -> None:
    # Given an open invoice, and twenty tabs each with a Visa token from the hosted card form
    number, link = new_invoice(local_stack)
    simulator = simulator_url(link)
    tokens = [card_token(simulator, VISA) for _ in range(20)]
    # When all twenty pay at the same moment
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda token: pay(link, token), tokens))
    # Then exactly one payment went through; the nineteen others were blocked
    outcomes = Counter((a.status_code, a.json()["outcome"]) for a in answers)
    assert outcomes == Counter({(200, "succeeded"): 1, (409, "blocked"): 19}), outcomes
    # And the processor recorded exactly one charge
    recorded = charges(simulator, number)
    assert len(recorded) == 1 and recorded[0]["status"] == "succeeded" and recorded[0]["amount"] == 125000
    # And all twenty attempts are in the CC Payments report, by invoice and by day
    by_invoice = report(local_stack, invoice=number)["attempts"]
    assert Counter(a["outcome"] for a in by_invoice) == Counter({"succeeded": 1, "blocked": 19})
    assert {a["attempt_id"] for a in by_invoice} == {a.json()["attempt_id"] for a in answers}
    today = datetime.now(UTC).date().isoformat()
    by_day = [
        a for a in report(local_stack, **{"from": today, "to": today})["attempts"] if a["invoice_number"] == number
    ]
    assert len(by_day) == 20
    assert invoice_status(local_stack, number) == "paid"

    # And the CRM received a card-payment event for every attempt
    def settled_events() -> list[dict[str, Any]]:
        return [
            e["event"]
            for e in local_stack.crm_log()
            if e["event"]["subject"] == f"invoice:{number}"
            and e["event"]["type"].startswith("card_payment.")
            and e["event"]["type"] != "card_payment.started"
        ]

    local_stack.wait_for_event(lambda _e: len(settled_events()) >= 20, timeout=60)
    assert Counter(e["type"] for e in settled_events()) == Counter(
        {"card_payment.succeeded": 1, "card_payment.blocked": 19}
    )


def test_declined_amex_and_processing_error_cards_leave_the_invoice_open_and_are_each_in_the_report(
    local_stack: LocalStackProcess,
) -> None:
    # Given an open invoice
    number, link = new_invoice(local_stack, amount="480.00")
    simulator = simulator_url(link)
    expected = [
        (DECLINE, 402, "declined", "card_declined"),
        (AMEX, 422, "refused", "brand_not_accepted"),
        (PROCESSING_ERROR, 402, "failed", "processing_error"),
    ]
    for card, status, outcome, code in expected:
        # When the customer pays with the card
        answer = pay(link, card_token(simulator, card))
        # Then it is not paid, says why, and the invoice stays open
        assert answer.status_code == status, answer.text
        assert (answer.json()["outcome"], answer.json()["failure_code"]) == (outcome, code)
        assert invoice_status(local_stack, number) == "open"
    # And each attempt is in the report, with brand and last 4
    rows = report(local_stack, invoice=number)["attempts"]
    assert [(r["outcome"], r["failure_code"], r["card_brand"], r["card_last4"]) for r in rows] == [
        ("declined", "card_declined", "visa", "0002"),
        ("refused", "brand_not_accepted", "amex", "0005"),
        ("failed", "processing_error", "visa", "0119"),
    ]
    # And the American Express card never reached the processor as a charge
    assert [c["card"]["last4"] for c in charges(simulator, number)] == ["0002", "0119"]
    # And the CRM got the three attempts
    local_stack.wait_for_event(
        lambda e: e["subject"] == f"invoice:{number}" and e["type"] == "card_payment.failed", timeout=30
    )
    types = [e["event"]["type"] for e in local_stack.crm_log() if e["event"]["subject"] == f"invoice:{number}"]
    assert {"card_payment.declined", "card_payment.refused", "card_payment.failed"} <= set(types)
    # And the invoice can still be paid
    assert pay(link, card_token(simulator, VISA)).status_code == 200


def test_a_double_submitted_form_is_one_attempt_and_one_charge(local_stack: LocalStackProcess) -> None:
    # Given one payment form (one attempt id, one token) submitted twice at once (a double click)
    number, link = new_invoice(local_stack, amount="75.00")
    simulator = simulator_url(link)
    token, attempt_id = card_token(simulator, VISA), uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: pay(link, token, attempt_id), range(2)))
    # Then one charge, one attempt; each answer is the payment or "being processed"
    assert {a.status_code for a in answers} <= {200, 409}
    assert any(a.status_code == 200 and a.json()["outcome"] == "succeeded" for a in answers)
    assert len(charges(simulator, number)) == 1
    assert len(report(local_stack, invoice=number)["attempts"]) == 1
    # And a retry after the fact answers the same payment
    again = pay(link, token, attempt_id)
    assert again.status_code == 200 and again.json()["outcome"] == "succeeded"
    assert len(charges(simulator, number)) == 1


def test_a_charge_whose_answer_times_out_is_reconciled_with_the_processor(local_stack: LocalStackProcess) -> None:
    # Given the card whose charge succeeds but whose answer comes after our timeout
    number, link = new_invoice(local_stack, amount="19.99")
    simulator = simulator_url(link)
    # When the customer pays
    answer = pay(link, card_token(simulator, TIMEOUT))
    # Then the payment is recorded as succeeded — found by its idempotency key (or by the processor's
    # webhook, whichever came first) — and charged once
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "succeeded"
    rows = report(local_stack, invoice=number)["attempts"]
    assert [(r["outcome"], r["resolved_by"] in ("timeout_lookup", "webhook")) for r in rows] == [("succeeded", True)]
    assert len(charges(simulator, number)) == 1
    assert invoice_status(local_stack, number) == "paid"


def test_the_receipt_email_links_to_the_receipt_and_each_touch_is_an_activity(local_stack: LocalStackProcess) -> None:
    # Given a paid invoice whose payment page the customer opened
    number, link = new_invoice(local_stack, amount="310.00")
    simulator = simulator_url(link)
    assert pay(link, card_token(simulator, MASTERCARD)).status_code == 200
    # When the receipt email arrives
    email = f"erin.{number.lower()}@example.com"

    def receipt_mail() -> list[dict[str, Any]]:
        return [m for m in local_stack.mailbox() if email in m["destinations"]]

    local_stack.wait_for_event(lambda _e: bool(receipt_mail()), timeout=30)
    message = receipt_mail()[0]
    assert number in message["subject"] and "USD 310.00" in message["subject"]
    receipt_link = re.search(r"https?://\S+/payments/receipts/[A-Za-z0-9._-]+", message["text"])
    assert receipt_link, message["text"]
    # Then its link gives the receipt PDF (a short-lived presigned URL), with the amount and last 4
    answer = httpx.get(receipt_link.group(0), headers=JSON, timeout=30)
    assert answer.status_code == 200 and answer.json()["expires_in"] <= 900
    pdf = httpx.get(answer.json()["url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "USD 310.00" in text and "MasterCard ending in 4444" in text

    # And the CRM saw the customer view the page, pay, and download the receipt
    def actions() -> set[str]:
        return {
            e["event"]["data"].get("action")
            for e in local_stack.crm_log()
            if e["event"]["type"] == "activity" and e["event"]["subject"] == f"invoice:{number}"
        }

    local_stack.wait_for_event(lambda _e: {"viewed", "paid", "downloaded"} <= actions(), timeout=30)


def test_the_crm_console_creates_an_invoice_and_shows_the_report(local_stack: LocalStackProcess) -> None:
    number = f"INV-CONSOLE-{uuid.uuid4().hex[:8].upper()}"
    today = datetime.now(UTC).date().isoformat()
    with local_stack.client() as http:
        created = http.post(
            "/_local/console/payments-put-invoice",
            data={
                "number": number,
                "customer_name": "Casey Console",
                "customer_email": "casey.console@example.com",
                "amount": "249.90",
                "currency": "USD",
                "due_date": "2026-12-31",
                "description": "Gutter repair",
            },
        )
        assert created.status_code == 200 and "/payments/pay/" in created.text and "201" in created.text
        shown = http.post(
            "/_local/console/payments-report",
            data={"date_from": today, "date_to": today, "invoice": "", "outcome": "", "format": "csv"},
        )
    assert shown.status_code == 200 and "attempt_id,invoice_number,attempted_at" in shown.text
