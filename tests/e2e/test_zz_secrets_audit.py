"""Secrets and card data audit: no test card number, sign-in token, password or stack secret is
stored anywhere we own — tables, buckets (receipt PDFs read as text too), queue messages (and what
the CRM received), emails, or log lines (.local/*.log, where every function of the local stack logs).

Runs after the other tests of this tier (file name), and once more when the test session ends (the
session fixture's teardown), after every other test of the run — browser tier included — has used
the stack.

What is looked for:
- every test card number of the processor simulator, as typed (digits, or in groups of 4);
- every sign-in token: a JWT (Cognito ID/access tokens are what the ``__Host-<portal>-session`` cookies hold);
- every password the demo data and the tests sign in with;
- every secret value of the stack (link-signing keys, the processor's API key), read from Secrets
  Manager.
The brand and last 4 digits of a card may be kept, and are (the CRM report shows them)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from local.portals import leadworks as leadworks_demo
from local.portals import partners as partners_demo
from local.processor_simulator import TEST_CARDS, detect_brand
from local.template import ROOT
from tests.e2e.test_payments_paying import MASTERCARD, VISA, card_token, new_invoice, pay, simulator_url
from tests.support import signin_users
from tests.support.local_stack import LocalStackProcess

# Passwords typed in by the demo data and by the tests of every tier that signs in against the stack.
PASSWORDS = sorted(
    {
        partners_demo.DEMO_PASSWORD,
        partners_demo.TEMPORARY_PASSWORD,
        leadworks_demo.DEMO_PASSWORD,
        signin_users.PASSWORD,
        "Partner-E2E-2026",
        "E2e-Leadworks-2026",
        "Another-Pass-42",
        "Brand-New-Pass-9",
        "Welcome-2026-Ads",
        "Mine-Own-Pass-77",
        "Not-the-password-1",
        "Wrong-pass-123",
    }
)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def _variants(number: str) -> list[str]:
    """The number as typed: digits only, or in groups separated by spaces or dashes."""
    groups = re.findall(r"\d{1,4}", number)
    return [number, " ".join(groups), "-".join(groups)]


CARD_NUMBERS = [variant for number in TEST_CARDS for variant in _variants(number)]


@dataclass
class Audit:
    """What to look for; ``secrets`` are read from the stack's Secrets Manager."""

    secrets: list[str]

    def hits(self, where: str, text: str) -> list[str]:
        found = [f"{where}: card number {n[:6]}…" for n in CARD_NUMBERS if n in text]
        found += [f"{where}: password {p[:3]}…" for p in PASSWORDS if p in text]
        found += [f"{where}: stack secret {s[:3]}…" for s in self.secrets if s in text]
        found += [f"{where}: sign-in token {m.group(0)[:12]}…" for m in JWT.finditer(text)]
        return found


def _secret_values(stack: LocalStackProcess) -> list[str]:
    manager = stack.aws("secretsmanager")
    values: list[str] = []
    for secret in manager.list_secrets()["SecretList"]:
        raw = manager.get_secret_value(SecretId=secret["ARN"])["SecretString"]
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = raw
        strings = [v for v in doc.values() if isinstance(v, str)] if isinstance(doc, dict) else [str(doc)]
        values += [s for s in strings if len(s) >= 16]  # key ids and placeholders are not secrets
    return values


def _pdf_text(body: bytes) -> str:
    try:
        return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    except Exception:
        return ""


def secrets_found(stack: LocalStackProcess) -> list[str]:
    audit = Audit(secrets=_secret_values(stack))
    found: list[str] = []
    # every table, every item
    ddb = stack.aws("dynamodb")
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            found += audit.hits(f"table {table}", json.dumps(page.get("Items", [])))
    # every bucket, every object (PDFs compress their text: read it out too)
    s3 = stack.aws("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                text = body.decode("latin-1") + (_pdf_text(body) if body.startswith(b"%PDF") else "")
                found += audit.hits(f"s3://{bucket['Name']}/{obj['Key']}", text)
    # every queue's waiting messages (peeked: visibility 0), and what the CRM already received
    sqs = stack.aws("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        found += audit.hits(f"queue {url}", json.dumps(messages))
    found += audit.hits("CRM log", json.dumps(stack.crm_log()))
    found += audit.hits("mailbox", json.dumps(stack.mailbox()))
    # every log line the functions of the local stacks wrote (the runner's own console output, which
    # prints the demo logins on purpose, is e2e-stack-*.log: it is scanned for cards, tokens, secrets)
    for path in sorted((ROOT / ".local").glob("*.log")) + sorted((ROOT / ".local").glob("*.jsonl")):
        text = path.read_text(errors="replace")
        hits = audit.hits(f"log {path.name}", text)
        if path.name.startswith("e2e-stack-"):
            hits = [h for h in hits if ": password " not in h]
        found += hits
    return found


@pytest.fixture(scope="session")
def secrets_audit(local_stack: LocalStackProcess) -> Iterator[None]:
    yield
    # at the end of the whole test session, after every other test used the stack
    found = secrets_found(local_stack)
    assert found == [], "secrets or card numbers were stored or logged:\n" + "\n".join(found)


def test_the_audit_finds_what_it_looks_for() -> None:
    # Given an audit with one stack secret
    audit = Audit(secrets=["s3cr3t-value-of-sixteen"])
    # When text holding each kind of secret is audited
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMiLCJleHAiOjF9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
    card = " ".join(re.findall(r"\d{1,4}", VISA))
    text = f"{card} | {partners_demo.DEMO_PASSWORD} | s3cr3t-value-of-sixteen | {token}"
    # Then every one is reported, and harmless text is not
    kinds = sorted(hit.split(": ")[1].split(" ")[0] for hit in audit.hits("t", text))
    assert kinds == ["card", "password", "sign-in", "stack"]
    assert audit.hits("t", "visa ending 1111, INV-2001, eyJ-not-a-token") == []


def test_no_table_bucket_queue_email_or_log_holds_a_card_number_token_or_password(
    local_stack: LocalStackProcess, secrets_audit: None
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
    # And the demo partner signed in (its ID token is the session cookie)
    with local_stack.client() as http:
        signed_in = http.post(
            "/partners/sign-in",
            json={"email": partners_demo.DEMO_PARTNER["email"], "password": partners_demo.DEMO_PASSWORD},
            headers={"accept": "application/json"},
        )
        assert signed_in.status_code in (200, 303), signed_in.text
        assert JWT.search(signed_in.headers.get("set-cookie", "")), "the session cookie holds the ID token"
        # (the brand and last 4 of each card are kept, as they may be)
        rows = http.get("/crm/payments/report", params={"invoice": number}, headers={"accept": "application/json"})
    assert [r["card_last4"] for r in rows.json()["attempts"]] == [n[-4:] for n in [*failing, VISA]]
    assert rows.json()["attempts"][-1]["outcome"] == "succeeded"
    # Then no card number, token, password or stack secret is anywhere we store or log
    assert secrets_found(local_stack) == []
