"""Fault matrix: every write path x every AWS call it makes x the ways that call fails.

For each cell, a fresh request of the path is prepared, and the target call (``<service>.<Operation>``,
the n-th of its kind on the path) fails, as AWS fails once botocore's retries are used up: throttled,
a 5xx, a cancelled transaction, a timeout or no connection (tests/support/faults.py, in-process at the
botocore level, against moto). Then:

1. the caller gets a clear retryable answer: HTTP 503 with Retry-After and a correlation id (JSON
   error or friendly page); a queue/stream handler reports the record failed (partial batch); an S3
   notification handler raises (Lambda retries it); the scheduled reconciliation may raise or leave it
   to its next run;
2. nothing is half-written: no record written without its CRM event, no event without its record;
3. the answer shows no internals (no AWS error text or code, no operation, ARN, resource name or
   traceback);
4. the same request again, with the fault gone (the client's retry, the queue's or the stream's
   redelivery), converges: it succeeds, and the two together changed exactly what one clean request
   changes: the same records, the same CRM events once each, the same objects, queued messages,
   emails and users (tests/support/faults.py: WorldState, Delta.signature).

Where a path meets a fault otherwise by design (the payment is kept and its receipt made later; a
claim the retry completes; a JSON create's retry told 409 "it exists, here it is"), ``Known`` on the
path says so and why, and exactly that is checked instead.

The calls of each path are not listed by hand: ``fault_matrix_paths.json`` is recorded from a clean
request of each path, and ``test_a_clean_request_makes_the_recorded_calls`` fails when a path's calls
or effects change; ``test_every_function_that_writes_is_in_the_matrix`` fails when a function of
template.yaml may write and is not a path here. Re-record with
``FAULT_MATRIX_RECORD=1 .venv/bin/python -m pytest -p no:xdist tests/integration/test_fault_matrix.py -k clean``.

``make test`` runs one fault kind per call (the kinds taken in turn, every kind of every service met);
``make stress`` (-m stress) runs the others. ``MATRIX`` counts them.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus, urlencode

import boto3
import pytest
from moto import mock_aws

from local.inprocess import (
    EnvPatch,
    LambdaHarness,
    _forget_function_modules,
    module_file,
    reset_common_state,
    sample_event,
)
from local.processor_simulator import ProcessorSimulator, sign_webhook
from local.provision import Provisioner
from local.template import Stack
from tests.integration.test_infosite_nurture import send_request, sqs_record
from tests.integration.test_infosite_pages import FORM, ONE_CLICK, csrf_of, nurture_links, quote_form, url_event
from tests.integration.test_infosite_pages import upsert as upsert_contact
from tests.integration.test_leadworks_leads import LEAD, as_advertiser, eml, form_session, upload_event
from tests.integration.test_payments_flow import API_KEY, TIMEOUT, VISA, WEBHOOK_SECRET, card_token, link_token
from tests.integration.test_payments_flow import http_event as payments_event
from tests.integration.test_payments_flow import put_invoice as put_invoice_via_crm
from tests.support.faults import (
    AwsCalls,
    Call,
    Delta,
    Fault,
    Target,
    WorldState,
    account_client,
    empty_world,
    faults_for,
    label,
    numbered,
)
from tests.support.outbox_stream import outbox_stream_event
from tests.support.partners import (
    http_event,
    jpeg_bytes,
    partner_body,
    partner_identity,
    proposal_body,
    unique,
    unique_zip,
)
from tests.support.signin_users import PASSWORD, create_user, moto_jwks, unique_email

SNAPSHOT = Path(__file__).with_name("fault_matrix_paths.json")
RECORDING = os.environ.get("FAULT_MATRIX_RECORD") == "1"


# -- the shared world: one moto account per module (and xdist worker), emptied after each cell ---------
class Functions:
    """Every function the cells call, each loaded once per module (LambdaHarness: its CodeUri first on
    the path, its template environment) and then kept warm, as Lambda keeps an environment between
    requests: loading is the slow part of an in-process invoke (imports, models, request validation).
    Before each call the function's environment is applied and its settings read again; before the
    request under test, ``fresh`` also clears what the process caches (fetched secrets, signing keys),
    so that the request makes the AWS calls it was recorded with."""

    def __init__(self, stack: Stack) -> None:
        self.env = EnvPatch()
        self.harness = LambdaHarness(stack, self.env)
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.modules: dict[str, dict[str, ModuleType]] = {}  # each function's own modules, as it loaded them

    def use(self, function: str) -> Callable[[dict[str, Any]], Any]:
        """The function's handler, its environment applied (loaded the first time)."""
        from portal_common.observability import metrics
        from portal_common.settings import load_settings
        from portal_common.web.pages import add_template_dir

        spec = self.harness.specs[function]
        if function not in self.handlers:
            while str(spec.code_dir) in sys.path:  # first on the path: partners/ and leadworks/ share names
                sys.path.remove(str(spec.code_dir))
            self.handlers[function] = self.harness.handler(function)
            self.modules[function] = {
                name: module
                for name, module in list(sys.modules.items())
                if module_file(module).startswith(str(spec.code_dir))
            }
        for key, value in spec.environment.items():
            os.environ[key] = value
        load_settings.cache_clear()
        metrics.clear_metrics()  # with metrics disabled, nothing flushes them: a warm handler would pile them up
        if (spec.code_dir / "templates").is_dir():
            add_template_dir(spec.code_dir / "templates")
        return self.handlers[function]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.use(function)(event)  # type: ignore[no-any-return]

    def handler(self, function: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda event: self.invoke(function, event)

    def fresh(self, function: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The handler for the request under test: nothing fetched before is cached any more."""
        from portal_common import secret_values
        from portal_common.auth import jwks

        self.use(function)
        secret_values.clear_cache()
        jwks.pool_keys.cache_clear()
        return self.handler(function)

    def module(self, function: str, name: str) -> ModuleType:
        """One of the function's own modules, as its warm handler uses it."""
        self.use(function)
        return self.modules[function][name]

    def close(self) -> None:
        self.env.undo()


@dataclass
class World:
    stack: Stack
    functions: Functions
    simulator: ProcessorSimulator
    monkeypatch: pytest.MonkeyPatch

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.functions.invoke(function, event)

    def json(self, function: str, event: dict[str, Any], status: int = 200) -> Any:
        answer = self.invoke(function, event)
        assert answer["statusCode"] == status, answer.get("body")
        return json.loads(answer["body"]) if answer.get("body") else None


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[tuple[Stack, ProcessorSimulator, Functions]]:
    """Provisioning the template takes seconds: the cells share one account, emptied after each."""
    simulator = ProcessorSimulator(API_KEY, WEBHOOK_SECRET, hang_seconds=8).start()
    with mock_aws():
        reset_common_state()
        stack = Stack.from_file()
        Provisioner(stack, endpoint_url=None).create_all()
        stack.parameter_overrides.update(
            {"ProcessorMode": "simulator", "ProcessorBaseUrl": simulator.url, "ProcessorTimeoutSeconds": "1"}
        )
        boto3.client("secretsmanager").put_secret_value(
            SecretId=stack.refs["ProcessorApiSecret"],
            SecretString=json.dumps({"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}),
        )
        functions = Functions(stack)
        yield stack, simulator, functions
        functions.close()
    simulator.stop()
    _forget_function_modules()
    reset_common_state()


@pytest.fixture
def world(
    shared_stack: tuple[Stack, ProcessorSimulator, Functions], monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    from portal_common.auth import jwks

    stack, simulator, functions = shared_stack
    monkeypatch.setattr(jwks, "fetch_json", lambda url: moto_jwks())  # in-process moto serves no JWKS
    yield World(stack, functions, simulator, monkeypatch)
    empty_world(stack)


# -- the requests of each write path -------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    event: dict[str, Any]
    kind: str = "http"  # http | batch (partial batch response) | async (S3 notification) | schedule
    item: str | None = None  # batch: the record's itemIdentifier


@dataclass(frozen=True)
class Known:
    """How a path meets a fault at one of its calls by design, other than "retry, nothing changed"."""

    why: str
    absorbed: bool = False  # answered as a success: the work that call does is done later, or not at all
    unequal: tuple[str, ...] = ()  # effects (signature entries) the fault and the retry may change
    leaves: tuple[str, ...] = ()  # records the fault may leave without their event (a claim the retry completes)
    retry_status: int | None = None  # the retry's answer, when it is not a success
    retry_refused: bool = False  # a batch record's redelivery fails by design (delivered again later)


@dataclass(frozen=True)
class WritePath:
    name: str
    function: str
    prepare: Callable[[World], Request]
    # tables a fault may leave written without an event: bookkeeping, not records the CRM hears of
    bookkeeping: frozenset[str] = frozenset()
    known: dict[str, Known] = field(default_factory=dict)  # by call label: "s3.PutObject", "sqs.SendMessage#2"


def _crm(method: str, path: str, route: str | None = None, body: Any = None, **params: str) -> dict[str, Any]:
    return http_event(method, path, route=route, body=body, iam=True, path_parameters=params or None)


def _partner(w: World, zip_code: str | None = None) -> dict[str, Any]:
    body = partner_body(zip_code or unique_zip())
    return w.json("PartnersRegisterFunction", _crm("POST", "/crm/partners", body=body), 201)  # type: ignore[no-any-return]


def _proposal(w: World, zip_code: str) -> dict[str, Any]:
    body = proposal_body(zip_code, proposal_id=unique("EP-"))
    return w.json("PartnersCreateProposalFunction", _crm("POST", "/crm/proposals", body=body), 201)  # type: ignore[no-any-return]


def _proposal_action(proposal_id: str, action: str, body: Any = None) -> dict[str, Any]:
    return _crm(
        "POST",
        f"/crm/proposals/{proposal_id}/{action}",
        f"/crm/proposals/{{proposal_id}}/{action}",
        body,
        proposal_id=proposal_id,
    )


def _sent_proposal(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    zip_code = unique_zip()
    partner = _partner(w, zip_code)
    proposal = _proposal(w, zip_code)
    w.json(
        "PartnersSendProposalFunction", _proposal_action(proposal["proposal_id"], "send", {"reviewed_by": "am@x.io"})
    )
    return partner, proposal


def register_partner(w: World) -> Request:
    return Request(_crm("POST", "/crm/partners", body=partner_body(unique_zip())))


def update_partner(w: World) -> Request:
    partner = _partner(w)
    pid = partner["partner_id"]
    return Request(
        _crm("PATCH", f"/crm/partners/{pid}", "/crm/partners/{partner_id}", {"zip": unique_zip()}, partner_id=pid)
    )


def deactivate_partner(w: World) -> Request:
    pid = _partner(w)["partner_id"]
    return Request(
        _crm("POST", f"/crm/partners/{pid}/deactivate", "/crm/partners/{partner_id}/deactivate", partner_id=pid)
    )


def create_proposal(w: World) -> Request:
    zip_code = unique_zip()
    _partner(w, zip_code)
    return Request(_crm("POST", "/crm/proposals", body=proposal_body(zip_code, proposal_id=unique("EP-"))))


def review_proposal(w: World) -> Request:
    zip_code = unique_zip()
    _partner(w, zip_code)
    proposal = _proposal(w, zip_code)
    return Request(_proposal_action(proposal["proposal_id"], "review", {"reviewed_by": "am@example.com"}))


def route_proposal(w: World) -> Request:
    zip_code = unique_zip()
    proposal = _proposal(w, zip_code)  # no partner there yet: unassigned
    _partner(w, zip_code)
    return Request(_proposal_action(proposal["proposal_id"], "route"))


def send_proposal(w: World) -> Request:
    zip_code = unique_zip()
    _partner(w, zip_code)
    proposal = _proposal(w, zip_code)
    return Request(_proposal_action(proposal["proposal_id"], "send", {"reviewed_by": "am@example.com"}))


def _respond(w: World, decision: str, body: dict[str, str]) -> Request:
    partner, proposal = _sent_proposal(w)
    pid = proposal["proposal_id"]
    return Request(
        http_event(
            "POST",
            f"/partners/proposals/{pid}/{decision}",
            route=f"/partners/proposals/{{proposal_id}}/{decision}",
            body=body,
            identity=partner_identity(partner["partner_id"]),
            path_parameters={"proposal_id": pid},
        )
    )


def accept_proposal(w: World) -> Request:
    return _respond(w, "accept", {})


def decline_proposal(w: World) -> Request:
    return _respond(w, "decline", {"reason": "Fully booked in May"})


def submit_rph(w: World) -> Request:
    partner_id = unique("ptn-")
    draft = uuid.uuid4().hex[:24]
    account_client(w.stack, "s3").put_object(
        Bucket=w.stack.refs["ImagesBucket"],
        Key=f"uploads/intake/partner-{partner_id}/{draft}/{uuid.uuid4().hex[:16]}",
        Body=jpeg_bytes(),
    )
    fields = {
        "customer_name": "Jane Doe",
        "email": f"jane.{uuid.uuid4().hex[:8]}@example.com",
        "phone": "+1 555 0100 200",
        "street": "1 Main Street",
        "city": "Albany",
        "state": "NY",
        "zip": "12207",
        "problem_description": "Cracked foundation wall at the back of the house.",
        "draft": draft,
    }
    return Request(http_event("POST", "/partners/rph", body=fields, identity=partner_identity(partner_id)))


def presign_proposal_image(w: World) -> Request:
    zip_code = unique_zip()
    _partner(w, zip_code)
    pid = _proposal(w, zip_code)["proposal_id"]
    return Request(_proposal_action(pid, "images", {"content_type": "image/jpeg"}))


def make_thumbnail(w: World) -> Request:
    _, proposal = _sent_proposal(w)
    pid = proposal["proposal_id"]
    upload = w.json(
        "PartnersProposalImageUploadFunction", _proposal_action(pid, "images", {"content_type": "image/jpeg"}), 201
    )
    bucket, key = w.stack.refs["ImagesBucket"], upload["fields"]["key"]
    account_client(w.stack, "s3").put_object(Bucket=bucket, Key=key, Body=jpeg_bytes(400, 300))
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Post",
        "eventTime": "2026-11-22T10:00:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
    }
    return Request({"Records": [record]}, kind="async")


def register_advertiser(w: World) -> Request:
    body = {
        "advertiser_id": unique("ADV-"),
        "company_name": "Bright Ads",
        "email": unique_email("ads"),
        "temporary_password": "Welcome-2026-Ads",
    }
    return Request(sample_event("leadworks/crm_register_advertiser.json", body=json.dumps(body)))


def deactivate_advertiser(w: World) -> Request:
    registered = register_advertiser(w)
    w.json("LeadworksRegisterAdvertiserFunction", registered.event, 201)
    advertiser_id = json.loads(registered.event["body"])["advertiser_id"]
    event = sample_event(
        "leadworks/crm_deactivate_advertiser.json", rawPath=f"/crm/advertisers/{advertiser_id}/deactivate"
    )
    event["pathParameters"] = {"advertiser_id": advertiser_id}
    return Request(event)


def create_lead_json(w: World) -> Request:
    body = json.dumps({**LEAD, "email": unique_email("lead")})
    return Request(as_advertiser("create_lead.json", unique("A-"), body=body))


def create_lead_form(w: World) -> Request:
    advertiser_id = unique("A-")
    token, cookie, draft = form_session(w.functions, advertiser_id)
    body = urlencode({"csrf_token": token, "draft": draft, **LEAD, "email": unique_email("form")})
    return Request(
        as_advertiser("create_lead_form.json", advertiser_id, body=body, cookies=[cookie], headers={"cookie": cookie})
    )


def upload_leads(w: World) -> Request:
    rows = "\n".join(
        f"Row {n},{unique_email(f'row{n}')},{n} Main St,Austin,TX,73301,Roof leaks after rain" for n in (1, 2)
    )
    text = f"customer_name,email,street,city,state,zip,problem_description\n{rows}\n"
    return Request(upload_event(unique("A-"), text))


def index_archived_mail(w: World) -> Request:
    prospect = unique_email("prospect")
    w.json(
        "LeadworksCreateLeadFunction",
        as_advertiser("create_lead.json", unique("A-"), body=json.dumps({**LEAD, "email": prospect})),
        201,
    )
    bucket, key = w.stack.refs["MailArchiveBucket"], f"inbound/{uuid.uuid4().hex}"
    raw = eml("sales@northfield.example", prospect, "Following up", "Tue, 1 Dec 2026 10:00:00 +0000")
    account_client(w.stack, "s3").put_object(Bucket=bucket, Key=key, Body=raw)
    event = sample_event("leadworks/index_archived_mail.json")
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key)
    return Request(event, kind="async")


def _invoice(w: World) -> tuple[str, str]:
    number = unique("INV-").upper()
    return number, link_token(put_invoice_via_crm(w.functions, number))


def put_invoice(w: World) -> Request:
    body = {
        "customer": {"name": "Ann Rivera", "email": unique_email("ann")},
        "currency": "USD",
        "due_date": "2026-12-15",
        "lines": [{"description": "Shingle replacement", "quantity": "1", "unit_amount": "1100.00"}],
    }
    number = unique("INV-").upper()
    return Request(payments_event("put_invoice.json", "PUT", f"/crm/payments/invoices/{number}", body=body))


def _pay_event(token: str, card: str, attempt_id: str) -> dict[str, Any]:
    body = {"attempt_id": attempt_id, "card_token": card}
    return payments_event("pay_invoice.json", "POST", f"/payments/pay/{token}", body=body)


def pay_invoice(w: World) -> Request:
    _, token = _invoice(w)
    return Request(_pay_event(token, card_token(w.simulator, VISA), uuid.uuid4().hex))


def _pending_payment(w: World) -> tuple[str, str]:
    """A payment whose answer never came and whose lookup found nothing: the invoice is paying."""
    number, token = _invoice(w)
    attempt_id = uuid.uuid4().hex
    with w.monkeypatch.context() as patch:
        patch.setattr(w.simulator.state, "find", lambda key: [])
        patch.setattr(w.functions.module("PaymentsPayInvoiceFunction", "card_payments.bank_api"), "LOOKUP_TRIES", 1)
        answer = w.json(
            "PaymentsPayInvoiceFunction", _pay_event(token, card_token(w.simulator, TIMEOUT), attempt_id), 202
        )
    assert answer["outcome"] == "pending"
    return number, attempt_id


def processor_webhook(w: World) -> Request:
    number, _ = _pending_payment(w)
    [charge] = [c for c in w.simulator.state.all_charges() if c["reference"] == number]
    body = json.dumps(
        {"id": unique("evt_"), "type": "charge.succeeded", "created": int(time.time()), "data": {"charge": charge}}
    )
    headers = {"processor-signature": sign_webhook(WEBHOOK_SECRET, body.encode())}
    return Request(
        payments_event("processor_webhook.json", "POST", "/payments/webhooks/processor", body=body, headers=headers)
    )


def send_receipt(w: World) -> Request:
    """A paid invoice's card_payment.succeeded event, as the outbox stream hands it to the mailer."""
    number, token = _invoice(w)
    w.json("PaymentsPayInvoiceFunction", _pay_event(token, card_token(w.simulator, VISA), uuid.uuid4().hex))
    records = outbox_stream_event(w.stack, "PaymentsSendReceiptFunction", first=int(time.time() * 1000))
    (record,) = [
        r for r in records["Records"] if f'"invoice_number":"{number}"' in r["dynamodb"]["NewImage"]["event"]["S"]
    ]
    return Request({"Records": [record]}, kind="batch", item=record["dynamodb"]["SequenceNumber"])


def reconcile_payments(w: World) -> Request:
    number, attempt_id = _pending_payment(w)
    w.simulator.state.by_key.pop(f"inv:{number}:att:{attempt_id}")  # the processor never recorded it
    account_client(w.stack, "dynamodb").update_item(
        TableName=w.stack.refs["PaymentsTable"],
        Key={"pk": {"S": f"INVOICE#{number}"}, "sk": {"S": "INVOICE"}},
        UpdateExpression="SET #p.started_at = :old",
        ExpressionAttributeNames={"#p": "pending"},
        ExpressionAttributeValues={":old": {"S": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}},
    )
    return Request(sample_event("payments/reconcile_payments.json"), kind="schedule")


def download_receipt(w: World) -> Request:
    number, token = _invoice(w)
    w.json("PaymentsPayInvoiceFunction", _pay_event(token, card_token(w.simulator, VISA), uuid.uuid4().hex))
    from portal_common.links import sign_link  # the receipt email's link

    receipt = sign_link("receipt", number, 3600)
    event = payments_event("download_receipt.json", "GET", f"/payments/receipts/{receipt}")
    event["pathParameters"] = {"token": receipt}
    event["headers"]["accept"] = "application/json"
    return Request(event)


def _contact(w: World) -> str:
    contact_id = unique("f")
    upsert_contact(w.functions, contact_id)
    return contact_id


def upsert_contact_path(w: World) -> Request:
    contact_id = unique("f")
    body = {"name": "Pat Prospect", "email": f"{contact_id}@example.com", "kind": "prospect"}
    event = sample_event(
        "infosite/upsert_contact.json",
        rawPath=f"/crm/contacts/{contact_id}",
        pathParameters={"contact_id": contact_id},
        body=json.dumps(body),
    )
    event["requestContext"]["http"]["path"] = f"/crm/contacts/{contact_id}"
    return Request(event)


def unsubscribe_one_click(w: World) -> Request:
    unsubscribe_token, _ = nurture_links(w.functions, _contact(w))
    return Request(url_event("unsubscribe", "POST", unsubscribe_token, body=ONE_CLICK, content_type=FORM))


def unsubscribe_page(w: World) -> Request:
    """The confirmation page's button (a form post with its CSRF token; the answer is a page)."""
    token, _ = nurture_links(w.functions, _contact(w))
    cookies, csrf_token = csrf_of(w.invoke("UnsubscribeFunction", url_event("unsubscribe", "GET", token)))
    body = urlencode({"csrf_token": csrf_token})
    return Request(url_event("unsubscribe", "POST", token, body=body, content_type=FORM, cookies=cookies))


def _quote_post(w: World) -> tuple[str, Request]:
    contact_id = _contact(w)
    _, token = nurture_links(w.functions, contact_id)
    cookies, csrf_token = csrf_of(w.invoke("QuoteFunction", url_event("quote_request", "GET", token)))
    body = urlencode({**quote_form(email=f"{contact_id}@example.com"), "csrf_token": csrf_token})
    return contact_id, Request(url_event("quote_request", "POST", token, body=body, content_type=FORM, cookies=cookies))


def quote_request(w: World) -> Request:
    return _quote_post(w)[1]


def send_quote_alert(w: World) -> Request:
    """A submitted quote's lead.created_from_quote event, as the outbox stream hands it to the mailer."""
    contact_id, quote = _quote_post(w)
    assert w.invoke("QuoteFunction", quote.event)["statusCode"] == 200
    records = outbox_stream_event(w.stack, "QuoteAlertFunction", first=int(time.time() * 1000))
    (record,) = [r for r in records["Records"] if f'"contact:{contact_id}"' in r["dynamodb"]["NewImage"]["event"]["S"]]
    return Request({"Records": [record]}, kind="batch", item=record["dynamodb"]["SequenceNumber"])


def queue_nurture_email(w: World) -> Request:
    body = json.dumps({"contact_id": _contact(w), "campaign": "Nurture P2", "step": 2})
    return Request(sample_event("infosite/queue_nurture_email.json", body=body))


def send_nurture_email(w: World) -> Request:
    message_id = str(uuid.uuid4())
    return Request({"Records": [sqs_record(send_request(_contact(w)), message_id)]}, kind="batch", item=message_id)


SIGN_IN = {  # portal: (user pool, subject claim, sign-in function)
    "partners": ("PartnersUserPool", "custom:partner_id", "PartnersSignInFunction"),
    "leadworks": ("AdvertisersUserPool", "custom:advertiser_id", "LeadworksSignInFunction"),
}


def _portal_user(w: World, portal: str, *, permanent: bool = True) -> str:
    pool, claim, _ = SIGN_IN[portal]
    email = unique_email(f"fm-{portal}")
    create_user(
        account_client(w.stack, "cognito-idp"), w.stack.refs[pool], email, {claim: unique("S-")}, permanent=permanent
    )
    return email


def _sign_in_event(portal: str, email: str) -> dict[str, Any]:
    return sample_event(f"{portal}/sign_in_post.json", body=json.dumps({"email": email, "password": PASSWORD}))


def sign_in(portal: str) -> Callable[[World], Request]:
    def prepare(w: World) -> Request:
        return Request(_sign_in_event(portal, _portal_user(w, portal)))

    return prepare


def sign_out(portal: str) -> Callable[[World], Request]:
    def prepare(w: World) -> Request:
        signed_in = w.invoke(SIGN_IN[portal][2], _sign_in_event(portal, _portal_user(w, portal)))
        assert signed_in["statusCode"] == 200, signed_in.get("body")
        session = next(c.split(";", 1)[0] for c in signed_in["cookies"] if c.startswith(f"__Host-{portal}-session="))
        event = sample_event(f"{portal}/sign_out.json")
        event["cookies"] = [session]
        event["headers"]["cookie"] = session
        return Request(event)

    return prepare


def new_password(w: World) -> Request:
    """The first sign-in: the temporary password, then the new one (with the challenge's cookie)."""
    email = _portal_user(w, "partners", permanent=False)
    first = w.invoke("PartnersSignInFunction", _sign_in_event("partners", email))
    assert json.loads(first["body"])["next_step"] == "new_password", first["body"]
    challenge = next(c.split(";", 1)[0] for c in first["cookies"] if c.startswith("__Host-partners-challenge="))
    body = json.dumps({"new_password": "Brand-New-Pass-2027", "confirm_password": "Brand-New-Pass-2027"})
    event = sample_event("partners/new_password.json", body=body)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/partners/new-password"
    event["requestContext"]["http"]["method"] = "POST"
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /partners/new-password"
    event["headers"].update({"content-type": "application/json", "accept": "application/json", "cookie": challenge})
    event["cookies"] = [challenge]
    return Request(event)


# -- reads whose one write is their activity event ------------------------------------------------------
def _as_partner(partner_id: str, path: str, route: str, **params: str) -> dict[str, Any]:
    return http_event("GET", path, route=route, identity=partner_identity(partner_id), path_parameters=params)


def view_proposal(w: World) -> Request:
    partner, proposal = _sent_proposal(w)
    pid = proposal["proposal_id"]
    return Request(
        _as_partner(
            partner["partner_id"], f"/partners/proposals/{pid}", "/partners/proposals/{proposal_id}", proposal_id=pid
        )
    )


def view_proposal_image(w: World) -> Request:
    partner, proposal = _sent_proposal(w)
    pid = proposal["proposal_id"]
    upload = w.json(
        "PartnersProposalImageUploadFunction", _proposal_action(pid, "images", {"content_type": "image/jpeg"}), 201
    )
    key = upload["fields"]["key"]
    account_client(w.stack, "s3").put_object(Bucket=w.stack.refs["ImagesBucket"], Key=key, Body=jpeg_bytes())
    record = {"eventTime": "2026-11-22T10:00:00.000Z", "s3": {"object": {"key": key}}}
    w.invoke("PartnersMakeThumbnailFunction", {"Records": [record]})
    image_id = key.rsplit("/", 1)[1]
    return Request(
        _as_partner(
            partner["partner_id"],
            f"/partners/proposals/{pid}/images/{image_id}",
            "/partners/proposals/{proposal_id}/images/{image_id}",
            proposal_id=pid,
            image_id=image_id,
        )
    )


def view_rph(w: World) -> Request:
    submitted = submit_rph(w)
    partner_id = submitted.event["requestContext"]["authorizer"]["lambda"]["subject_id"]
    rph = w.json("PartnersRphFormFunction", submitted.event, 201)
    rid = rph["rph_id"]
    return Request(_as_partner(partner_id, f"/partners/rph/{rid}", "/partners/rph/{rph_id}", rph_id=rid))


def _lead(w: World) -> tuple[str, str]:
    advertiser_id = unique("A-")
    body = json.dumps({**LEAD, "email": unique_email("lead")})
    lead = w.json("LeadworksCreateLeadFunction", as_advertiser("create_lead.json", advertiser_id, body=body), 201)
    return advertiser_id, lead["lead_id"]


def list_leads(w: World) -> Request:
    advertiser_id, _ = _lead(w)
    return Request(as_advertiser("list_leads.json", advertiser_id, headers={"accept": "application/json"}))


def view_lead(w: World) -> Request:
    advertiser_id, lead_id = _lead(w)
    event = as_advertiser("view_lead.json", advertiser_id, rawPath=f"/leadworks/leads/{lead_id}")
    event["requestContext"]["http"]["path"] = event["rawPath"]
    event["pathParameters"] = {"lead_id": lead_id}
    event["headers"]["accept"] = "application/json"
    return Request(event)


def download_upload_report(w: World) -> Request:
    uploaded = upload_leads(w)
    advertiser_id = uploaded.event["requestContext"]["authorizer"]["lambda"]["subject_id"]
    report = w.json("LeadworksUploadLeadsFunction", uploaded.event)
    event = as_advertiser("upload_report.json", advertiser_id, rawPath=report["report_url"])
    event["requestContext"]["http"]["path"] = event["rawPath"]
    event["pathParameters"] = {"upload_id": report["upload_id"]}
    return Request(event)


def pay_page(w: World) -> Request:
    _, token = _invoice(w)
    return Request(payments_event("pay_page.json", "GET", f"/payments/pay/{token}", headers={"accept": "text/html"}))


def relay_outbox(w: World) -> Request:
    """One committed record with its event, as the outbox stream hands it to the relay."""
    w.functions.use("OutboxRelayFunction")  # its environment names the outbox table
    from portal_common.events import Actor, CrmEvent
    from portal_common.outbox import Transaction, outbox_item

    event = CrmEvent(type="rph.created", portal="partners", actor=Actor(kind="partner", id="p-1"), subject="rph:1")
    with Transaction() as tx:
        tx.put(w.stack.refs["IntakeTable"], {"pk": f"RPH#{event.event_id}", "sk": "RECORD"}, unique="pk")
        tx.event(event)
    image = {k: v for k, v in outbox_item(event).items()}
    sequence = str(uuid.uuid4().int % 10**20)
    record = {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": w.stack.attrs["OutboxTable"]["StreamArn"],
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"pk": {"S": image["pk"]}},
            "NewImage": {
                "pk": {"S": image["pk"]},
                "event": {"S": image["event"]},
                "type": {"S": image["type"]},
                "status": {"S": "pending"},
                "created_at": {"S": image["created_at"]},
                "expires_at": {"N": str(image["expires_at"])},
            },
            "SequenceNumber": sequence,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    return Request({"Records": [record]}, kind="batch", item=sequence)


IDEMPOTENCY = frozenset({"IdempotencyTable"})
PATHS = {
    p.name: p
    for p in [
        WritePath("register_partner", "PartnersRegisterFunction", register_partner),
        WritePath("update_partner", "PartnersUpdateFunction", update_partner),
        WritePath("deactivate_partner", "PartnersDeactivateFunction", deactivate_partner),
        WritePath("create_proposal", "PartnersCreateProposalFunction", create_proposal),
        WritePath("review_proposal", "PartnersReviewProposalFunction", review_proposal),
        WritePath("route_proposal", "PartnersRouteProposalFunction", route_proposal),
        WritePath("send_proposal", "PartnersSendProposalFunction", send_proposal),
        WritePath("accept_proposal", "PartnersRespondToProposalFunction", accept_proposal),
        WritePath("decline_proposal", "PartnersRespondToProposalFunction", decline_proposal),
        WritePath("submit_rph", "PartnersRphFormFunction", submit_rph),
        WritePath("presign_proposal_image", "PartnersProposalImageUploadFunction", presign_proposal_image),
        WritePath("make_thumbnail", "PartnersMakeThumbnailFunction", make_thumbnail),
        WritePath("register_advertiser", "LeadworksRegisterAdvertiserFunction", register_advertiser),
        WritePath("deactivate_advertiser", "LeadworksDeactivateAdvertiserFunction", deactivate_advertiser),
        WritePath(
            "create_lead_json",
            "LeadworksCreateLeadFunction",
            create_lead_json,
            known={
                "dynamodb.Query#2": Known(
                    "the lead and its events are written, its catch-up read fails: a JSON client has no request "
                    "id, so its retry is told the lead exists (409, with the way to its own lead), and the "
                    "catch-up runs then",
                    retry_status=409,
                )
            },
        ),
        WritePath("create_lead_form", "LeadworksCreateLeadFunction", create_lead_form),
        WritePath(
            "upload_leads",
            "LeadworksUploadLeadsFunction",
            upload_leads,
            known={
                "dynamodb.TransactWriteItems#2": Known(
                    "the upload's activity fails after its leads (with their events) and its report are stored: "
                    "the retry finds the leads (rows reported duplicate) and stores a second report",
                    unequal=("objects",),
                )
            },
        ),
        WritePath(
            "index_archived_mail",
            "LeadworksMailIndexerFunction",
            index_archived_mail,
            frozenset({"MailIndexTable"}),  # the index itself: the CRM hears of attachments, not of indexing
        ),
        WritePath("put_invoice", "PaymentsPutInvoiceFunction", put_invoice),
        WritePath("pay_invoice", "PaymentsPayInvoiceFunction", pay_invoice, IDEMPOTENCY),
        WritePath(
            "processor_webhook",
            "PaymentsProcessorWebhookFunction",
            processor_webhook,
            IDEMPOTENCY,
            {
                "dynamodb.UpdateItem": Known(
                    "the webhook is applied, its idempotency record cannot be completed and stays in progress "
                    "until it expires: the processor's retry meanwhile is answered 409 (being processed)",
                    retry_status=409,
                ),
            },
        ),
        WritePath(
            "send_receipt",
            "PaymentsSendReceiptFunction",
            send_receipt,
            # the receipt email's claim (RECEIPT_EMAIL#): bookkeeping of the mailer, not a record the CRM hears of
            frozenset({"PaymentsTable"}),
            {
                "dynamodb.UpdateItem": Known(
                    "the email went out but cannot be marked sent: logged, and the record succeeds. A "
                    "redelivery while the claim is fresh fails, to be delivered again (as when a sender timed "
                    "out before mailing); after the claim's 2 minutes it would send a second receipt, the "
                    "price of never losing one",
                    absorbed=True,
                    retry_refused=True,
                )
            },
        ),
        WritePath("reconcile_payments", "PaymentsReconcileFunction", reconcile_payments),
        WritePath("download_receipt", "PaymentsDownloadReceiptFunction", download_receipt),
        WritePath("upsert_contact", "UpsertContactFunction", upsert_contact_path),
        WritePath("unsubscribe_one_click", "UnsubscribeFunction", unsubscribe_one_click),
        WritePath("unsubscribe_page", "UnsubscribeFunction", unsubscribe_page),
        WritePath("quote_request", "QuoteFunction", quote_request),
        WritePath(
            "send_quote_alert",
            "QuoteAlertFunction",
            send_quote_alert,
            # the alert's claim (QUOTE_ALERT#): bookkeeping of the mailer, not a record the CRM hears of
            frozenset({"ContactsTable"}),
            {
                "dynamodb.UpdateItem": Known(
                    "the alert went out but cannot be marked sent: logged, and the record succeeds. A "
                    "redelivery while the claim is fresh fails, to be delivered again (as when a sender timed "
                    "out before mailing); after the claim's 2 minutes it would send a second alert, the "
                    "price of never losing one",
                    absorbed=True,
                    retry_refused=True,
                )
            },
        ),
        WritePath("queue_nurture_email", "QueueNurtureEmailFunction", queue_nurture_email),
        WritePath(
            "send_nurture_email",
            "NurtureSenderFunction",
            send_nurture_email,
            known={
                "dynamodb.TransactWriteItems": Known(
                    "the email went out but the send cannot be recorded: its claim (SEND#, sending) stays, and "
                    "the redelivery records it as sent without mailing the contact again",
                    leaves=("added ContactsTable:CONTACT#/SEND#",),
                )
            },
        ),
        WritePath("sign_in", "PartnersSignInFunction", sign_in("partners")),
        WritePath("sign_out", "PartnersSignOutFunction", sign_out("partners")),
        WritePath("new_password", "PartnersNewPasswordFunction", new_password),
        WritePath("leadworks_sign_in", "LeadworksSignInFunction", sign_in("leadworks")),
        WritePath("leadworks_sign_out", "LeadworksSignOutFunction", sign_out("leadworks")),
        WritePath("view_proposal", "PartnersViewProposalFunction", view_proposal),
        WritePath("view_proposal_image", "PartnersProposalImagesFunction", view_proposal_image),
        WritePath("view_rph", "PartnersViewRphFunction", view_rph),
        WritePath("list_leads", "LeadworksListLeadsFunction", list_leads),
        WritePath("view_lead", "LeadworksViewLeadFunction", view_lead),
        WritePath("download_upload_report", "LeadworksUploadReportFunction", download_upload_report),
        WritePath("pay_page", "PaymentsPayPageFunction", pay_page),
        WritePath("relay_outbox", "OutboxRelayFunction", relay_outbox),
    ]
}


# -- running one request -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    answer: dict[str, Any] | None
    raised: BaseException | None = None


def run(handler: Callable[[dict[str, Any]], Any], request: Request) -> Outcome:
    try:
        return Outcome(handler(request.event))
    except Exception as exc:  # a handler that raises: Lambda retries the invocation
        return Outcome(None, exc)


def succeeded(request: Request, outcome: Outcome) -> bool:
    if outcome.raised is not None or outcome.answer is None:
        return False
    if request.kind == "http":
        return int(outcome.answer["statusCode"]) < 400
    if request.kind == "batch":
        return outcome.answer.get("batchItemFailures") == []
    return True


def describe(outcome: Outcome) -> str:
    if outcome.raised is not None:
        return f"raised {type(outcome.raised).__name__}: {outcome.raised}"
    answer = outcome.answer or {}
    return json.dumps(
        {k: answer.get(k) for k in ("statusCode", "headers", "body")} if "statusCode" in answer else answer
    )[:2000]


@dataclass
class Recording:
    calls: list[Call]
    signature: dict[str, Any]


def clean_run(w: World, path: WritePath) -> Recording:
    request = path.prepare(w)
    handler = w.functions.fresh(path.function)
    before = WorldState.read(w.stack)
    recorder = AwsCalls()
    with recorder.active():
        outcome = run(handler, request)
    assert succeeded(request, outcome), describe(outcome)
    delta = Delta.between(before, WorldState.read(w.stack))
    return Recording(recorder.calls, delta.signature())


# -- the matrix ------------------------------------------------------------------------------------------
@cache
def _snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}


@dataclass(frozen=True)
class Cell:
    path: str
    call: Call
    nth: int
    fault: Fault
    fast: bool  # in `make test`; the others in `make stress`

    @property
    def id(self) -> str:
        return f"{self.path}-{label(self.call, self.nth)}-{self.fault.kind}"


def build_matrix(snapshot: dict[str, Any]) -> list[Cell]:
    """Every recorded call of every path x every fault its service can answer with. Fast (`make test`):
    one kind per call, taken in turn from its service's kinds, and more where a service has fewer calls
    than kinds, so that the fast part meets every kind of every service. The rest: `make stress`."""
    entries = [
        (name, call, nth)
        for name in PATHS
        for call, nth in numbered([Call(*c.split(".", 1)) for c in snapshot.get(name, {}).get("calls", [])])
    ]
    fast: set[tuple[str, Call, int, str]] = set()
    for service in sorted({call.service for _, call, _ in entries}):
        where = [e for e in entries if e[1].service == service]
        for turn, (name, call, nth) in enumerate(where):
            kinds = faults_for(call)
            fast.add((name, call, nth, kinds[turn % len(kinds)].kind))
        met = {kind for (_, call, _, kind) in fast if call.service == service}
        missing = sorted({f.kind for _, call, _ in where for f in faults_for(call)} - met)
        for turn, kind in enumerate(missing):
            able = [e for e in where if any(f.kind == kind for f in faults_for(e[1]))]
            name, call, nth = able[turn % len(able)]
            fast.add((name, call, nth, kind))
    return [
        Cell(name, call, nth, fault, (name, call, nth, fault.kind) in fast)
        for name, call, nth in entries
        for fault in faults_for(call)
    ]


CELLS = build_matrix(_snapshot())
MATRIX = {
    "write_paths": len(PATHS),
    "functions": len({p.function for p in PATHS.values()}),
    "calls": sum(len(_snapshot().get(n, {}).get("calls", [])) for n in PATHS),
    "cells": len(CELLS),
    "fast_cells": sum(c.fast for c in CELLS),
    "stress_cells": sum(not c.fast for c in CELLS),
    "by_service": dict(sorted(Counter(c.call.service for c in CELLS).items())),
    "by_fault": dict(sorted(Counter(c.fault.kind for c in CELLS).items())),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The fast cells always; the stress cells when the run selects by marker (`make stress` is
    ``-m stress``): `make test` runs every tier without -m, and does not even collect them."""
    if "cell" in metafunc.fixturenames:
        stress = "stress" in (metafunc.config.getoption("markexpr") or "")
        metafunc.parametrize("cell", _params([c for c in CELLS if c.fast or stress]))


def _params(cells: list[Cell]) -> list[Any]:
    return [pytest.param(c, id=c.id, marks=() if c.fast else (pytest.mark.stress,)) for c in cells]


# -- assertions ---------------------------------------------------------------------------------------------
LEAKS = ("Traceback", "botocore", "boto3", "arn:aws", "fault-canary", "internal-secret-table", "FAULT0REQUEST0ID")


def assert_retryable_answer(request: Request, outcome: Outcome, cell: Cell, stack: Stack) -> None:
    if request.kind == "http":
        assert outcome.raised is None, f"the handler raised instead of answering: {outcome.raised!r}"
        answer = outcome.answer or {}
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        body = str(answer.get("body") or "")
        assert answer.get("statusCode") == 503, describe(outcome)
        assert int(headers.get("retry-after", "0")) > 0, "no Retry-After"
        correlation_id = headers.get("x-correlation-id", "")
        assert correlation_id and correlation_id != "unknown", "no correlation id"
        if headers.get("content-type", "").startswith("application/json"):
            error = json.loads(body)["error"]
            assert error["code"] == "service_unavailable" and error["correlation_id"] == correlation_id
            assert error["message"]
        else:
            assert "Please try again in a moment" in body and correlation_id in body, body[:500]
        resources = [str(v) for v in stack.refs.values() if len(str(v)) > 8]  # table, bucket, queue names...
        for leak in (*LEAKS, cell.fault.code or "§", cell.call.operation, *resources):
            assert leak not in body, f"the answer shows {leak!r}"
    elif request.kind == "batch":
        if outcome.raised is None:
            failures = [f["itemIdentifier"] for f in (outcome.answer or {}).get("batchItemFailures", [])]
            assert request.item in failures, f"the failed record is not reported: {describe(outcome)}"
    elif request.kind == "async":
        assert outcome.raised is not None, f"the fault was swallowed: {describe(outcome)}"
    # schedule: raising or not, the next run must finish the work (checked by the retry)


def assert_not_half_written(path: WritePath, delta: Delta, known: Known | None) -> None:
    records = [r for r in delta.record_writes(path.bookkeeping) if not known or r not in known.leaves]
    events = [e for e in delta.events if e.get("type") != "activity"]
    if records:
        assert delta.events, f"written without their CRM event: {records}"
    if events:
        assert records, f"CRM events without their record: {[e['type'] for e in events]}"


def run_cell(w: World, cell: Cell, expected: dict[str, Any]) -> None:
    path = PATHS[cell.path]
    known = path.known.get(label(cell.call, cell.nth))
    # Given a fresh request of the path, and its function loaded (cold)
    request = path.prepare(w)
    handler = w.functions.fresh(path.function)
    before = WorldState.read(w.stack)
    # When the target call fails
    faulted = AwsCalls(Target(cell.call, cell.nth, cell.fault))
    with faulted.active():
        outcome = run(handler, request)
    assert faulted.injected, f"{path.name} made no call {label(cell.call, cell.nth)}: re-record {SNAPSHOT.name}"
    after_fault = WorldState.read(w.stack)
    # Then the caller is told to retry (or, where the path absorbs that fault by design, it succeeds),
    # and nothing is half-written
    if known is not None and known.absorbed:
        assert succeeded(request, outcome), describe(outcome)
    else:
        assert_retryable_answer(request, outcome, cell, w.stack)
    fault_delta = Delta.between(before, after_fault)
    assert_not_half_written(path, fault_delta, known)
    # When the same request comes again (the client's retry, the queue's or the stream's redelivery)
    retried = run(handler, request)
    # Then it succeeds, and the two together did what one clean request does: nothing lost or doubled
    if known is not None and known.retry_status is not None:
        assert (retried.answer or {}).get("statusCode") == known.retry_status, describe(retried)
    elif known is not None and known.retry_refused:
        assert not succeeded(request, retried), describe(retried)
    else:
        assert succeeded(request, retried), describe(retried)
    total = fault_delta.plus(Delta.between(after_fault, WorldState.read(w.stack)))
    unequal = known.unequal if known else ()
    assert {k: v for k, v in total.signature().items() if k not in unequal} == {
        k: v for k, v in expected.items() if k not in unequal
    }


def test_a_fault_is_retryable_and_leaves_nothing_half_written(world: World, cell: Cell) -> None:
    run_cell(world, cell, _snapshot()[cell.path]["signature"])


@pytest.mark.parametrize("name", list(PATHS))
def test_a_clean_request_makes_the_recorded_calls(world: World, name: str) -> None:
    # When a request of the path runs without faults
    recording = clean_run(world, PATHS[name])
    if RECORDING:
        snapshot = _snapshot()
        snapshot[name] = {"calls": [str(c) for c in recording.calls], "signature": recording.signature}
        SNAPSHOT.write_text(json.dumps(dict(sorted(snapshot.items())), indent=1) + "\n")
        return
    # Then it makes the calls the matrix fails, and has the effects a retried request is held to
    recorded = _snapshot().get(name)
    assert recorded is not None, f"{name} is not recorded: re-record {SNAPSHOT.name}"
    assert [str(c) for c in recording.calls] == recorded["calls"], f"{name}'s calls changed: re-record"
    assert recording.signature == recorded["signature"], f"{name}'s effects changed: re-record"
    assert recording.calls, f"{name} makes no AWS call"


# The functions that may write (their policies allow it) and are not in the matrix, and why
WRITE_POLICIES = re.compile(
    r"(Crud|Write)Policy|SQSSendMessagePolicy|dynamodb:(Put|Update|Delete|BatchWrite)Item|s3:(Put|Delete)Object"
    r"|ses:Send|cognito-idp:Admin(Create|Update|Disable|Delete)"
)
NOT_IN_MATRIX = {
    "PartnersAuthorizerFunction": "an authorizer: a session read and a once-a-minute touch of last_seen; when it "
    "fails, API Gateway answers for it (tests/integration/test_auth_authorizer.py)",
    "AdvertisersAuthorizerFunction": "the same authorizer (portal_common.auth.authorizer) for Leadworks",
    "LeadworksNewPasswordFunction": "the same layer route and session write as PartnersNewPasswordFunction",
    "LeadworksNewLeadFunction": "the lead form page: it presigns photo uploads (the browser writes them), writes nothing",
}


def test_every_function_that_writes_is_in_the_matrix() -> None:
    # Given every function whose policies let it write (DynamoDB, S3, SQS, SES, Cognito users)
    functions = Stack.from_file().of_type("AWS::Serverless::Function")
    writers = {
        logical_id
        for logical_id, resource in functions.items()
        if WRITE_POLICIES.search(json.dumps(resource["Properties"].get("Policies") or [], default=str))
    }
    # Then each is a write path of the matrix, or said above why not
    assert writers - {p.function for p in PATHS.values()} == set(NOT_IN_MATRIX)


def test_the_matrix_covers_every_write_path() -> None:
    # Every write path is recorded, and every one of its calls meets every fault its service gives
    assert set(_snapshot()) == set(PATHS), f"re-record {SNAPSHOT.name}"
    assert {c.path for c in CELLS} == set(PATHS)
    assert {"dynamodb", "s3", "sesv2", "sqs"} <= set(MATRIX["by_service"])
    for name, recorded in _snapshot().items():
        for call, nth in numbered([Call(*c.split(".", 1)) for c in recorded["calls"]]):
            cells = [c for c in CELLS if (c.path, c.call, c.nth) == (name, call, nth)]
            assert {c.fault for c in cells} == set(faults_for(call)) and any(c.fast for c in cells)
    # And the fast part (`make test`) meets every fault kind of every service at least once
    for service in MATRIX["by_service"]:
        kinds = {f.kind for c in CELLS if c.call.service == service for f in faults_for(c.call)}
        assert {c.fault.kind for c in CELLS if c.call.service == service and c.fast} == kinds, service
