"""PCI scope check: no test card number is stored anywhere we own — tables, buckets (receipt PDFs
read as text too), queue messages (and what the CRM received), emails, or log lines (.local/*.log).

Runs after the payment tests of this tier (file name), and once more when the test session ends
(the session fixture's teardown), after every other test of the run has used the stack.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from local.processor_simulator import TEST_CARDS, detect_brand
from local.template import ROOT
from tests.e2e.test_payments_paying import MASTERCARD, VISA, card_token, new_invoice, pay, simulator_url
from tests.support.local_stack import LocalStackProcess


def _variants(number: str) -> list[str]:
    """The number as typed: digits only, or in groups separated by spaces or dashes."""
    groups = re.findall(r"\d{1,4}", number)
    return [number, " ".join(groups), "-".join(groups)]


PATTERNS = [variant for number in TEST_CARDS for variant in _variants(number)]


def _hits(where: str, text: str) -> list[str]:
    return [f"{where}: {number[:6]}…" for number in PATTERNS if number in text]


def _pdf_text(body: bytes) -> str:
    try:
        return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    except Exception:
        return ""


def card_numbers_found(stack: LocalStackProcess) -> list[str]:
    found: list[str] = []
    # every table, every item
    ddb = stack.aws("dynamodb")
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            found += _hits(f"table {table}", json.dumps(page.get("Items", [])))
    # every bucket, every object (PDFs compress their text: read it out too)
    s3 = stack.aws("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                text = body.decode("latin-1") + (_pdf_text(body) if body.startswith(b"%PDF") else "")
                found += _hits(f"s3://{bucket['Name']}/{obj['Key']}", text)
    # every queue's waiting messages (peeked: visibility 0), and what the CRM already received
    sqs = stack.aws("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        found += _hits(f"queue {url}", json.dumps(messages))
    found += _hits("CRM log", json.dumps(stack.crm_log()))
    found += _hits("mailbox", json.dumps(stack.mailbox()))
    # every log line the local stacks and tests wrote
    for path in sorted((ROOT / ".local").glob("*.log")) + sorted((ROOT / ".local").glob("*.jsonl")):
        found += _hits(f"log {path.name}", path.read_text(errors="replace"))
    return found


@pytest.fixture(scope="session")
def card_data_audit(local_stack: LocalStackProcess) -> Iterator[None]:
    yield
    # at the end of the whole test session, after every other test used the stack
    found = card_numbers_found(local_stack)
    assert found == [], "test card numbers were stored or logged:\n" + "\n".join(found)


def test_no_table_bucket_queue_email_or_log_holds_a_test_card_number(
    local_stack: LocalStackProcess, card_data_audit: None
) -> None:
    # Given an invoice paid at last after every failing test card was tried on it, and one paid by MasterCard
    number, link = new_invoice(local_stack, amount="12.34")
    simulator = simulator_url(link)
    failing = [
        n
        for n, (behaviour, _) in TEST_CARDS.items()
        if behaviour not in ("success", "timeout") or detect_brand(n) not in ("visa", "mastercard")
    ]
    for card in [*failing, VISA]:
        pay(link, card_token(simulator, card))
    _other_number, other_link = new_invoice(local_stack, amount="5.00")
    assert pay(other_link, card_token(simulator, MASTERCARD)).status_code == 200
    # (the brand and last 4 of each card are kept, as they may be)
    with local_stack.client() as http:
        rows = http.get("/crm/payments/report", params={"invoice": number}, headers={"accept": "application/json"})
    assert [r["card_last4"] for r in rows.json()["attempts"]] == [n[-4:] for n in [*failing, VISA]]
    assert rows.json()["attempts"][-1]["outcome"] == "succeeded"
    # Then no full card number is anywhere we store or log
    assert card_numbers_found(local_stack) == []
