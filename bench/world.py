"""The world the warm benchmark serves: real data made through the real handlers, and for every
function an event on its normal success path (what a real user or the CRM gets: 200, 201, 202, 303).

Built once inside the benchmark's in-memory moto, the way the integration tests build theirs: the
CRM registers a partner and an advertiser, creates, reviews and sends proposals, puts invoices and
contacts; portal users sign in (Cognito users made with the admin API, as tests/support does); a
card is paid through the processor simulator (local/processor_simulator.py, in-process). Events
carry the real ids, the authorizer context of the seeded partner or advertiser, fresh CSRF tokens
and signed links (made in the measured function's own environment, after it is loaded).

Routes that can succeed only once per object (create a lead for a new email, pay an open invoice,
register a partner, accept a proposal) get two objects: one for the warm-up serve, one for the
recorded serve whose AWS answers are then replayed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3

from local.inprocess import EnvPatch, LambdaHarness, _forget_function_modules, reset_common_state, sample_event
from local.provision import Provisioner
from local.template import Stack
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

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROCESSOR_KEY, WEBHOOK_SECRET = "sim_bench_key", "whsec_bench"
VISA, TIMEOUT_CARD = "4242424242424242", "4000000000000341"
NEW_PASSWORD = "Bench-New-Pass-2026"  # noqa: S105 - a test user of the in-memory moto
INTAKE = {
    "customer_name": "Ann Example",
    "street": "12 Elm Street",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "phone": "+1 217 555 0100",
    "problem_description": "Cracked driveway, wants a quote for repaving.",
}

Events = Callable[[], tuple[dict[str, Any], dict[str, Any]]]


@dataclass
class Route:
    function: str  # logical id in template.yaml
    name: str  # what the results table shows, e.g. "GET /partners/proposals/{proposal_id}"
    success: int | str  # the status a real caller gets on the success path ("allow", "ok" for non-HTTP)
    events: Events  # called once the function is loaded: (warm-up event, measured event)
    kind: str = "route"  # route | authorizer | event
    note: str = ""


def _same(event: dict[str, Any]) -> Events:
    return lambda: (event, event)


def _claims(token: str) -> dict[str, Any]:
    import jwt

    return dict(jwt.decode(token, options={"verify_signature": False}))


def _cookie_value(answer: dict[str, Any], name: str) -> str:
    raw = next(c for c in answer.get("cookies") or [] if c.startswith(f"__Host-{name}="))
    return raw.split(";", 1)[0].split("=", 1)[1]


def _link_subject(token: str) -> str:
    """The subject of a signed link we made (portal_common.links: base64url JSON, then the signature)."""
    payload = token.split(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["s"])


def _s3_event(bucket: str, key: str) -> dict[str, Any]:
    event = sample_event("leadworks/index_archived_mail.json")
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"]["key"] = key
    return event


def _eml(sender: str, to: str, subject: str) -> bytes:
    return "\r\n".join(
        [
            f"From: {sender}",
            f"To: {to}",
            f"Subject: {subject}",
            "Date: Mon, 2 Nov 2026 10:00:00 +0000",
            f"Message-ID: <{uuid.uuid4().hex}@mail.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            f"About: {subject}.",
        ]
    ).encode()


class World:
    """The stack, its data, and the routes' events."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.region = stack.region
        self.simulator: Any = None
        self.users: dict[str, dict[str, Any]] = {}  # by portal: email, sessions, challenges, forgetful
        self._patch: EnvPatch | None = None

    # -- plumbing --------------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def built(cls) -> Iterator[World]:
        """Inside mock_aws: the template's resources, the processor simulator, the data."""
        from local.processor_simulator import ProcessorSimulator

        # the layer is imported afresh, inside a function's environment, as in a Lambda process
        # (Powertools' Logger and Metrics read their service and namespace when first imported)
        for name in [m for m in sys.modules if m == "portal_common" or m.startswith("portal_common.")]:
            del sys.modules[name]
        stack = Stack.from_file()
        world = cls(stack)
        world.simulator = ProcessorSimulator(PROCESSOR_KEY, WEBHOOK_SECRET, hang_seconds=3).start()
        stack.parameter_overrides.update(
            {"ProcessorMode": "simulator", "ProcessorBaseUrl": world.simulator.url, "ProcessorTimeoutSeconds": "1"}
        )
        try:
            Provisioner(stack, endpoint_url=None).create_all()
            world.handler("CrmHealthFunction")
            from portal_common.auth import jwks

            # in-process moto serves no HTTP: the pools' keys come from moto's package (as in tests)
            fetch_json = jwks.fetch_json
            jwks.fetch_json = lambda url: moto_jwks()
            jwks.pool_keys.cache_clear()
            world.aws("secretsmanager").put_secret_value(
                SecretId=stack.refs["ProcessorApiSecret"],
                SecretString=json.dumps({"api_key": PROCESSOR_KEY, "webhook_secret": WEBHOOK_SECRET}),
            )
            world.build()
            yield world
        finally:
            if "fetch_json" in locals():
                jwks.fetch_json = fetch_json
                jwks.pool_keys.cache_clear()
            world.simulator.stop()
            world.forget_state()

    def aws(self, service: Any) -> Any:
        return boto3.client(service, region_name=self.region)

    def env_patch(self) -> EnvPatch:
        return EnvPatch()

    def harness(self, patch: EnvPatch) -> LambdaHarness:
        return LambdaHarness(self.stack, patch)

    def forget_state(self) -> None:
        _forget_function_modules()
        reset_common_state()

    def handler(self, function: str) -> Callable[[dict[str, Any]], Any]:
        """A freshly loaded handler of the function (its environment stays until the next one)."""
        if self._patch is not None:
            self._patch.undo()
        self._patch = EnvPatch()
        return self.harness(self._patch).handler(function)

    def call(self, function: str, event: dict[str, Any], expect: int | None = None) -> Any:
        answer = self.handler(function)(event)
        if expect is not None:
            status = answer.get("statusCode")
            assert status == expect, f"{function}: {status} {str(answer.get('body'))[:300]}"
        return answer

    @staticmethod
    def body(answer: dict[str, Any]) -> Any:
        return json.loads(answer["body"])

    def _done_building(self) -> None:
        if self._patch is not None:
            self._patch.undo()
            self._patch = None
        self.forget_state()

    # -- the data --------------------------------------------------------------------------------
    def build(self) -> None:
        from bench.warm import quiet_stdout

        try:
            with quiet_stdout():
                self._build_all()
        finally:
            self._done_building()

    def _build_all(self) -> None:
        self._partners()
        self._leadworks()
        self._payments()
        self._infosite()
        self._outbox()

    def _partners(self) -> None:
        crm = self.handler("PartnersRegisterFunction")
        self.zip_p = unique_zip()
        self.partner = self.body(crm(http_event("POST", "/crm/partners", body=partner_body(self.zip_p), iam=True)))
        self.pid = self.partner["partner_id"]
        self.spare_partners = [
            self.body(crm(http_event("POST", "/crm/partners", body=partner_body(unique_zip()), iam=True)))["partner_id"]
            for _ in range(2)
        ]
        self.zip_u, self.zip_x = unique_zip(), unique_zip()
        create = self.handler("PartnersCreateProposalFunction")

        def proposal(zip_code: str) -> str:
            body = proposal_body(zip_code, proposal_id=unique("EP-"))
            answer = create(http_event("POST", "/crm/proposals", body=body, iam=True))
            assert answer["statusCode"] == 201, answer["body"]
            return str(self.body(answer)["proposal_id"])

        sent = [proposal(self.zip_p) for _ in range(9)]
        self.to_review = [proposal(self.zip_p) for _ in range(2)]
        self.to_send = [proposal(self.zip_p) for _ in range(2)]
        self.unassigned = [proposal(self.zip_u) for _ in range(2)]
        proposal(self.zip_x)  # stays in the uncovered-ZIP report
        review = self.handler("PartnersReviewProposalFunction")
        for pid in self.to_send:
            answer = review(self._crm_proposal_event("review", pid, {"reviewed_by": "alex.manager@example.com"}))
            assert answer["statusCode"] == 200, answer["body"]
        send = self.handler("PartnersSendProposalFunction")
        for pid in sent:
            answer = send(self._crm_proposal_event("send", pid, {"reviewed_by": "alex.manager@example.com"}))
            assert answer["statusCode"] == 200, answer["body"]
        self.proposal = sent[0]
        self.to_accept, self.to_decline = sent[1:3], sent[3:5]
        self.call(
            "PartnersRegisterFunction",
            http_event("POST", "/crm/partners", body=partner_body(self.zip_u), iam=True),
            201,
        )
        # an image of the main proposal: presigned POST, the upload, its thumbnail
        presign = self.handler("PartnersProposalImageUploadFunction")
        bucket = self.stack.refs["ImagesBucket"]
        self.image_keys = []
        for _ in range(3):
            upload = self.body(
                presign(self._crm_proposal_event("images", self.proposal, {"content_type": "image/jpeg"}))
            )
            key = upload["fields"]["key"]
            self.aws("s3").put_object(Bucket=bucket, Key=key, Body=jpeg_bytes(800, 600))
            self.image_keys.append(key)
        thumbnail = self.handler("PartnersMakeThumbnailFunction")
        assert thumbnail(_s3_event(bucket, self.image_keys[0]))["processed"][0]["result"] == "recorded"
        self.image_id = self.image_keys[0].rsplit("/", 1)[1]
        # an RPH, sent as JSON
        rph = self.handler("PartnersRphFormFunction")
        fields = {**INTAKE, "email": unique_email("rph"), "draft": uuid.uuid4().hex[:24]}
        answer = rph(http_event("POST", "/partners/rph", body=fields, identity=self.partner_identity()))
        assert answer["statusCode"] == 201, answer["body"]
        self.rph_id = self.body(answer)["rph_id"]
        # portal users: the partner (a permanent password), first sign-ins, a forgotten password
        self._portal_users("partners", "PartnersUserPool", "custom:partner_id", self.pid, self.partner["email"])

    def _portal_users(self, portal: str, pool_ref: str, claim: str, subject_id: str, email: str) -> None:
        idp, pool = self.aws("cognito-idp"), self.stack.refs[pool_ref]
        idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
        function = "PartnersSignInFunction" if portal == "partners" else "LeadworksSignInFunction"
        sign_in = self.handler(function)

        def json_sign_in(address: str) -> dict[str, Any]:
            body = {"email": address, "password": PASSWORD}
            event = sample_event(f"{portal}/sign_in_post.json", body=json.dumps(body))
            return dict(sign_in(event))

        sessions = []
        for _ in range(3):
            token = _cookie_value(json_sign_in(email), f"{portal}-session")
            sessions.append((token, str(_claims(token)["origin_jti"])))
        challenges = []
        for _ in range(2):
            address = unique_email(f"bench-first-{portal}")
            create_user(idp, pool, address, {claim: subject_id}, permanent=False)
            challenges.append(_link_subject(_cookie_value(json_sign_in(address), f"{portal}-challenge")))
        forgetful = unique_email(f"bench-forgot-{portal}")
        create_user(idp, pool, forgetful, {claim: subject_id})
        self.users[portal] = {"email": email, "sessions": sessions, "challenges": challenges, "forgetful": forgetful}

    def _leadworks(self) -> None:
        crm = self.handler("LeadworksRegisterAdvertiserFunction")

        def register() -> dict[str, Any]:
            body = self._advertiser_body()
            event = sample_event("leadworks/crm_register_advertiser.json", body=json.dumps(body))
            answer = crm(event)
            assert answer["statusCode"] == 201, answer["body"]
            return {**self.body(answer), "email": body["email"]}

        self.advertiser = register()
        self.aid = self.advertiser["advertiser_id"]
        self.spare_advertisers = [register()["advertiser_id"] for _ in range(2)]
        self._portal_users(
            "leadworks", "AdvertisersUserPool", "custom:advertiser_id", self.aid, self.advertiser["email"]
        )
        create = self.handler("LeadworksCreateLeadFunction")
        leads = []
        for _ in range(5):
            body = {**INTAKE, "email": unique_email("lead")}
            answer = create(http_event("POST", "/leadworks/leads", body=body, identity=self.advertiser_identity()))
            assert answer["statusCode"] == 201, answer["body"]
            leads.append(self.body(answer)["lead_id"])
        self.lead = leads[0]
        upload = self.handler("LeadworksUploadLeadsFunction")
        event = http_event("POST", "/leadworks/leads/upload", identity=self.advertiser_identity())
        event["headers"]["content-type"] = "text/csv"
        event["body"] = base64.b64encode(self._leads_csv(3).encode()).decode()
        event["isBase64Encoded"] = True
        answer = upload(event)
        assert answer["statusCode"] == 200, answer["body"]
        self.upload_id = self.body(answer)["upload_id"]
        bucket = self.stack.refs["MailArchiveBucket"]
        self.archived = []
        for n in range(2):
            key = f"inbound/{uuid.uuid4().hex}"
            self.aws("s3").put_object(
                Bucket=bucket, Key=key, Body=_eml(f"lead{n}@example.com", "sales@example.com", "Q")
            )
            self.archived.append(key)

    def _payments(self) -> None:
        put = self.handler("PaymentsPutInvoiceFunction")

        def invoice() -> tuple[str, str]:
            number = unique("INV-").upper()
            answer = put(self._invoice_event(number))
            assert answer["statusCode"] == 201, answer["body"]
            url = self.body(answer)["payment_link"]["url"]
            return number, urlsplit(url).path.rsplit("/", 1)[1]

        self.invoice, self.pay_token = invoice()
        self.to_pay = [invoice() for _ in range(2)]
        self.paid, paid_token = invoice()
        self.to_settle = [invoice() for _ in range(2)]
        pay = self.handler("PaymentsPayInvoiceFunction")
        for token in (paid_token, invoice()[1]):  # two paid invoices: the receipt mailer's two events
            answer = pay(self._pay_event(token, self.card()))
            assert answer["statusCode"] == 200, answer["body"]
        # two payments left pending: the charge happened, its answer did not come, nor did a lookup
        find = self.simulator.state.find
        self.simulator.state.find = lambda key: []
        try:
            self.pending_charges = []
            for number, token in self.to_settle:
                answer = pay(self._pay_event(token, self.card(TIMEOUT_CARD)))
                assert answer["statusCode"] == 202, answer["body"]
                charge = next(c for c in self.simulator.state.all_charges() if c["reference"] == number)
                self.pending_charges.append(charge)
        finally:
            self.simulator.state.find = find

    def _infosite(self) -> None:
        upsert = self.handler("UpsertContactFunction")
        self.contacts = {}
        for name in ("quote", "alert", "unsubscribe-page", "unsubscribe-1", "unsubscribe-2", "nurture"):
            contact_id = unique(f"bench-{name}-")
            answer = upsert(self._contact_event(contact_id))
            assert answer["statusCode"] == 200, answer["body"]
            self.contacts[name] = contact_id
        quote = self.handler("QuoteFunction")
        for _ in range(2):  # two quote requests: their events are the alert mailer's stream records
            answer = quote(self._quote_post("alert"))
            assert answer["statusCode"] == 200, answer["body"]

    def _quote_post(self, contact: str) -> dict[str, Any]:
        """The quote form's POST for one of the world's contacts, from a new nurture email's link."""
        from infosite.link_subjects import QUOTE, quote_subject

        csrf_token, cookie = self.csrf()
        token = self.sign(QUOTE, quote_subject(self.contacts[contact], uuid.uuid4().hex))
        form = {
            "name": "Pat Prospect",
            "email": f"{self.contacts[contact]}@example.com",
            "phone": "+1 555 0100",
            "company": "Prospect Homes",
            "needs": "The drive is cracked; I would like it resurfaced.",
            "contact_by": "phone",
            "best_time": "weekday mornings",
            "csrf_token": csrf_token,
        }
        return self._url_event("quote_request", "POST", token, form=form, cookies=[cookie])

    def _outbox(self) -> None:
        """Two events still waiting in the outbox: the relay's stream records."""
        items = self.aws("dynamodb").scan(TableName=self.stack.refs["OutboxTable"], Limit=50)["Items"]
        self.outbox_items = [i for i in items if i.get("status", {}).get("S") != "relayed"][:2]
        # and the events the mailers read: payments' receipts, quotes' alerts
        self.paid_items = self._outbox_events("card_payment.succeeded")
        self.quote_items = self._outbox_events("lead.created_from_quote")

    def _outbox_events(self, event_type: str) -> list[dict[str, Any]]:
        """Two outbox items of one event type (a scan: building the world, not a request)."""
        return self.aws(
            "dynamodb"
        ).scan(  # type: ignore[no-any-return]
            TableName=self.stack.refs["OutboxTable"],
            FilterExpression="#t = :type",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":type": {"S": event_type}},
        )["Items"][:2]

    # -- request shapes ----------------------------------------------------------------------------
    def partner_identity(self, session: int = 0) -> dict[str, str]:
        users = self.users.get("partners")
        session_id = users["sessions"][session][1] if users else "session-bench"
        return partner_identity(self.pid, self.partner["email"], session_id=session_id)

    def advertiser_identity(self) -> dict[str, str]:
        users = self.users.get("leadworks")
        return {
            "kind": "advertiser",
            "subject_id": self.aid,
            "user_sub": f"sub-{self.aid}",
            "email": self.advertiser["email"],
            "session_id": users["sessions"][0][1] if users else "session-bench",
        }

    @staticmethod
    def _crm_proposal_event(action: str, proposal_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return http_event(
            "POST",
            f"/crm/proposals/{proposal_id}/{action}",
            route=f"/crm/proposals/{{proposal_id}}/{action}",
            body=body if body is not None else {},
            iam=True,
            path_parameters={"proposal_id": proposal_id},
        )

    @staticmethod
    def _advertiser_body() -> dict[str, Any]:
        advertiser_id = unique("A-").upper()
        return {
            "advertiser_id": advertiser_id,
            "company_name": f"Bright Ads {advertiser_id}",
            "contact_name": "Dana Bright",
            "email": unique_email("bench-ads"),
            "temporary_password": "Welcome-2026-Ads",
        }

    @staticmethod
    def _leads_csv(rows: int) -> str:
        lines = ["customer_name,email,street,city,state,zip,problem_description"]
        for _ in range(rows):
            lines.append(f"Ann Lee,{unique_email('upload')},1 Main St,Austin,TX,73301,Roof leaks after rain")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _invoice_event(number: str) -> dict[str, Any]:
        body = {
            "customer": {"name": "Ann Rivera", "email": f"{number.lower()}@example.com"},
            "currency": "USD",
            "due_date": "2026-12-15",
            "lines": [
                {"description": "Shingle replacement", "quantity": "1", "unit_amount": "1100.00"},
                {"description": "Gutter cleaning", "quantity": "2", "unit_amount_minor": 7500},
            ],
        }
        return http_event(
            "PUT",
            f"/crm/payments/invoices/{number}",
            route="/crm/payments/invoices/{number}",
            body=body,
            iam=True,
            path_parameters={"number": number},
        )

    def card(self, number: str = VISA) -> str:
        """What the processor's hosted card form does: the card goes to the processor, a token comes back."""
        fields = {"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123"}
        return str(self.simulator.state.tokenize(fields).id)

    @staticmethod
    def _pay_event(token: str, card: str, form: dict[str, str] | None = None, cookies: list[str] | None = None) -> Any:
        path = f"/payments/pay/{token}"
        if form is None:
            body = {"attempt_id": uuid.uuid4().hex, "card_token": card}
            return http_event("POST", path, route="/payments/pay/{token}", body=body, path_parameters={"token": token})
        return http_event(
            "POST",
            path,
            route="/payments/pay/{token}",
            form=form,
            accept=HTML,
            cookies=cookies,
            path_parameters={"token": token},
        )

    @staticmethod
    def _contact_event(contact_id: str, **fields: Any) -> dict[str, Any]:
        body = {"name": "Pat Prospect", "email": f"{contact_id}@example.com", "kind": "prospect", **fields}
        return http_event(
            "PUT",
            f"/crm/contacts/{contact_id}",
            route="/crm/contacts/{contact_id}",
            body=body,
            iam=True,
            path_parameters={"contact_id": contact_id},
        )

    @staticmethod
    def _url_event(sample: str, method: str, token: str, **kwargs: Any) -> dict[str, Any]:
        """A function-URL request (the info site's email links)."""
        event = sample_event(f"infosite/{sample}.json", rawQueryString=urlencode({"token": token}))
        event["queryStringParameters"] = {"token": token}
        event["requestContext"]["http"]["method"] = method
        event["headers"]["accept"] = kwargs.get("accept", HTML)
        if "form" in kwargs:
            event["headers"]["content-type"] = "application/x-www-form-urlencoded"
            event["body"] = urlencode(kwargs["form"])
        if kwargs.get("cookies"):
            event["cookies"] = kwargs["cookies"]
        return event

    @staticmethod
    def csrf(binding: str = "anonymous", path: str = "/") -> tuple[str, str]:
        """(the form's token, the cookie as the browser sends it back to ``path``), in the loaded
        function's keys."""
        from portal_common.web import csrf

        token, _cookie = csrf.issue(None, binding)
        return token, f"__Host-{csrf.cookie_name(path)}={token}"

    @staticmethod
    def sign(purpose: str, subject: str, ttl: int = 3600) -> str:
        from portal_common.links import sign_link

        return sign_link(purpose, subject, ttl)

    # -- the routes --------------------------------------------------------------------------------
    def routes(self, only: str | None = None) -> list[Route]:
        found = [
            *self._crm_routes(),
            *self._partner_routes(),
            *self._auth_routes("partners", "Partners", "partner"),
            *self._leadworks_routes(),
            *self._auth_routes("leadworks", "Leadworks", "advertiser"),
            *self._payments_routes(),
            *self._infosite_routes(),
            *self._event_routes(),
        ]
        if only:  # "a|b": the routes whose name or function contains a or b
            parts = only.split("|")
            found = [r for r in found if any(p in r.name or p in r.function for p in parts)]
        return found

    def _crm_routes(self) -> list[Route]:
        def register_partner() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (http_event("POST", "/crm/partners", body=partner_body(unique_zip()), iam=True) for _ in range(2))
            return a, b

        def create_proposal() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (
                http_event(
                    "POST", "/crm/proposals", body=proposal_body(self.zip_p, proposal_id=unique("EP-")), iam=True
                )
                for _ in range(2)
            )
            return a, b

        def update_partner() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (
                http_event(
                    "PATCH",
                    f"/crm/partners/{self.pid}",
                    route="/crm/partners/{partner_id}",
                    body={"contact_name": name},
                    iam=True,
                    path_parameters={"partner_id": self.pid},
                )
                for name in ("Pat Warm", "Pat Measured")
            )
            return a, b

        def deactivate(path: str, key: str, ids: list[str]) -> Events:
            def events() -> tuple[dict[str, Any], dict[str, Any]]:
                a, b = (
                    http_event(
                        "POST",
                        path.replace("{" + key + "}", i),
                        route=path,
                        iam=True,
                        path_parameters={key: i},
                    )
                    for i in ids
                )
                return a, b

            return events

        def each(action: str, ids: list[str], body: dict[str, Any] | None = None) -> Events:
            return lambda: (
                self._crm_proposal_event(action, ids[0], body),
                self._crm_proposal_event(action, ids[-1], body),
            )

        def register_advertiser() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (
                sample_event("leadworks/crm_register_advertiser.json", body=json.dumps(self._advertiser_body()))
                for _ in range(2)
            )
            return a, b

        def put_invoice() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (self._invoice_event(unique("INV-").upper()) for _ in range(2))
            return a, b

        get_invoice = http_event(
            "GET",
            f"/crm/payments/invoices/{self.invoice}",
            route="/crm/payments/invoices/{number}",
            iam=True,
            path_parameters={"number": self.invoice},
        )
        today = datetime.now(UTC).date().isoformat()
        report = http_event("GET", "/crm/payments/report", query={"from": today, "to": today}, iam=True)
        nurture = http_event(
            "POST", "/crm/nurture-emails", body={"contact_id": self.contacts["nurture"], "step": 1}, iam=True
        )
        reviewed = {"reviewed_by": "alex.manager@example.com"}
        return [
            Route("CrmHealthFunction", "GET /crm/health", 200, _same(sample_event("crm/health.json"))),
            Route("PartnersRegisterFunction", "POST /crm/partners", 201, register_partner),
            Route("PartnersUpdateFunction", "PATCH /crm/partners/{partner_id}", 200, update_partner),
            Route(
                "PartnersDeactivateFunction",
                "POST /crm/partners/{partner_id}/deactivate",
                200,
                deactivate("/crm/partners/{partner_id}/deactivate", "partner_id", self.spare_partners),
            ),
            Route("PartnersCreateProposalFunction", "POST /crm/proposals", 201, create_proposal),
            Route(
                "PartnersReviewProposalFunction",
                "POST /crm/proposals/{proposal_id}/review",
                200,
                each("review", self.to_review, reviewed),
            ),
            Route(
                "PartnersSendProposalFunction",
                "POST /crm/proposals/{proposal_id}/send",
                200,
                each("send", self.to_send, reviewed),
                note="first send: the notice email goes out",
            ),
            Route(
                "PartnersRouteProposalFunction",
                "POST /crm/proposals/{proposal_id}/route",
                200,
                each("route", self.unassigned),
            ),
            Route(
                "PartnersProposalImageUploadFunction",
                "POST /crm/proposals/{proposal_id}/images",
                201,
                each("images", [self.proposal], {"content_type": "image/jpeg"}),
            ),
            Route(
                "PartnersUncoveredZipsFunction",
                "GET /crm/reports/uncovered-zips",
                200,
                _same(http_event("GET", "/crm/reports/uncovered-zips", iam=True)),
            ),
            Route("LeadworksRegisterAdvertiserFunction", "POST /crm/advertisers", 201, register_advertiser),
            Route(
                "LeadworksDeactivateAdvertiserFunction",
                "POST /crm/advertisers/{advertiser_id}/deactivate",
                200,
                deactivate("/crm/advertisers/{advertiser_id}/deactivate", "advertiser_id", self.spare_advertisers),
            ),
            Route("PaymentsPutInvoiceFunction", "PUT /crm/payments/invoices/{number}", 201, put_invoice),
            Route("PaymentsGetInvoiceFunction", "GET /crm/payments/invoices/{number}", 200, _same(get_invoice)),
            Route("PaymentsReportFunction", "GET /crm/payments/report", 200, _same(report)),
            Route(
                "UpsertContactFunction",
                "PUT /crm/contacts/{contact_id}",
                200,
                _same(self._contact_event(self.contacts["nurture"], phone="+1 555 0101")),
            ),
            Route("QueueNurtureEmailFunction", "POST /crm/nurture-emails", 202, _same(nurture)),
        ]

    def _partner_routes(self) -> list[Route]:
        pid, identity = self.proposal, self.partner_identity()
        session_id = identity["session_id"]

        def page(path: str, route: str | None = None, params: dict[str, str] | None = None, **kw: Any) -> Events:
            return _same(
                http_event("GET", path, route=route, identity=identity, path_parameters=params, accept=HTML, **kw)
            )

        def respond(action: str, ids: list[str], fields: dict[str, str]) -> Events:
            def events() -> tuple[dict[str, Any], dict[str, Any]]:
                made = []
                for proposal_id in ids:
                    token, cookie = self.csrf(session_id, "/partners")
                    made.append(
                        http_event(
                            "POST",
                            f"/partners/proposals/{proposal_id}/{action}",
                            route=f"/partners/proposals/{{proposal_id}}/{action}",
                            form={**fields, "csrf_token": token},
                            identity=identity,
                            accept=HTML,
                            cookies=[cookie],
                            path_parameters={"proposal_id": proposal_id},
                        )
                    )
                return made[0], made[1]

            return events

        def send_rph() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for _ in range(2):
                token, cookie = self.csrf(session_id, "/partners")
                fields = {**INTAKE, "email": unique_email("rph"), "draft": uuid.uuid4().hex[:24], "csrf_token": token}
                made.append(
                    http_event("POST", "/partners/rph", form=fields, identity=identity, accept=HTML, cookies=[cookie])
                )
            return made[0], made[1]

        def notice() -> tuple[dict[str, Any], dict[str, Any]]:
            from proposals.notice_links import NOTICE_PURPOSE  # the loaded function's own module

            token = self.sign(NOTICE_PURPOSE, f"{self.pid}:{pid}")
            session = self.users["partners"]["sessions"][0][0]
            event = http_event(
                "GET",
                f"/partners/notice/{token}",
                route="/partners/notice/{token}",
                accept=HTML,
                cookies=[f"__Host-partners-session={session}"],
                path_parameters={"token": token},
            )
            return event, event

        image = f"/partners/proposals/{pid}/images/{self.image_id}"
        return [
            Route("PartnersListProposalsFunction", "GET /partners/proposals", 200, page("/partners/proposals")),
            Route(
                "PartnersViewProposalFunction",
                "GET /partners/proposals/{proposal_id}",
                200,
                page(f"/partners/proposals/{pid}", "/partners/proposals/{proposal_id}", {"proposal_id": pid}),
            ),
            Route(
                "PartnersProposalImagesFunction",
                "GET /partners/proposals/{proposal_id}/images",
                200,
                _same(
                    http_event(
                        "GET",
                        f"/partners/proposals/{pid}/images",
                        route="/partners/proposals/{proposal_id}/images",
                        identity=identity,
                        path_parameters={"proposal_id": pid},
                    )
                ),
                note="JSON (the gallery's script); a browser is redirected to the proposal's images tab",
            ),
            Route(
                "PartnersProposalImagesFunction",
                "GET /partners/proposals/{proposal_id}/images/{image_id}",
                200,
                page(
                    image,
                    "/partners/proposals/{proposal_id}/images/{image_id}",
                    {"proposal_id": pid, "image_id": self.image_id},
                ),
            ),
            Route(
                "PartnersRespondToProposalFunction",
                "POST /partners/proposals/{proposal_id}/accept",
                303,
                respond("accept", self.to_accept, {}),
            ),
            Route(
                "PartnersRespondToProposalFunction",
                "GET /partners/proposals/{proposal_id}/decline",
                200,
                page(
                    f"/partners/proposals/{self.to_decline[0]}/decline",
                    "/partners/proposals/{proposal_id}/decline",
                    {"proposal_id": self.to_decline[0]},
                ),
            ),
            Route(
                "PartnersRespondToProposalFunction",
                "POST /partners/proposals/{proposal_id}/decline",
                303,
                respond("decline", self.to_decline, {"reason": "Fully booked in May"}),
            ),
            Route("PartnersRphFormFunction", "GET /partners/rph/new", 200, page("/partners/rph/new")),
            Route("PartnersRphFormFunction", "POST /partners/rph", 303, send_rph),
            Route("PartnersViewRphFunction", "GET /partners/rph", 200, page("/partners/rph")),
            Route(
                "PartnersViewRphFunction",
                "GET /partners/rph/{rph_id}",
                200,
                page(f"/partners/rph/{self.rph_id}", "/partners/rph/{rph_id}", {"rph_id": self.rph_id}),
            ),
            Route("PartnersOpenNoticeFunction", "GET /partners/notice/{token}", 303, notice),
        ]

    def _auth_routes(self, portal: str, prefix: str, kind: str) -> list[Route]:
        """Sign-in, first sign-in, forgotten password, sign-out, home and the authorizer of a portal."""
        users = self.users[portal]
        base = f"/{portal}"

        def anonymous_page(path: str, query: dict[str, str] | None = None, cookies: list[str] | None = None) -> Events:
            return _same(http_event("GET", path, query=query, accept=HTML, cookies=cookies))

        def form_post(
            path: str, fields: Callable[[int], dict[str, str]], cookies: Callable[[int], list[str]]
        ) -> Events:
            def events() -> tuple[dict[str, Any], dict[str, Any]]:
                made = []
                for n in range(2):
                    token, cookie = self.csrf(path=path)
                    made.append(
                        http_event(
                            "POST",
                            path,
                            form={**fields(n), "csrf_token": token},
                            accept=HTML,
                            cookies=[cookie, *cookies(n)],
                        )
                    )
                return made[0], made[1]

            return events

        def sign_out() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for token, session_id in users["sessions"][1:3]:
                csrf_token, cookie = self.csrf(session_id, base)
                made.append(
                    http_event(
                        "POST",
                        f"{base}/sign-out",
                        form={"csrf_token": csrf_token},
                        accept=HTML,
                        cookies=[f"__Host-{portal}-session={token}", cookie],
                    )
                )
            return made[0], made[1]

        def authorize() -> tuple[dict[str, Any], dict[str, Any]]:
            event = sample_event(f"{portal}/authorizer.json")
            cookie = f"__Host-{portal}-session={users['sessions'][0][0]}"
            event["cookies"] = [cookie]
            event["headers"]["cookie"] = cookie
            event["identitySource"] = [cookie]
            return event, event

        def challenge(n: int) -> str:
            """The new-password page's cookie: Cognito's challenge, signed now (it lasts 3 minutes)."""
            from portal_common.auth.signin import CHALLENGE_PURPOSE, CHALLENGE_SECONDS

            return (
                f"__Host-{portal}-challenge={self.sign(CHALLENGE_PURPOSE, users['challenges'][n], CHALLENGE_SECONDS)}"
            )

        identity = self.partner_identity() if portal == "partners" else self.advertiser_identity()
        new_password = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        forgetful = users["forgetful"]
        authorizer = "PartnersAuthorizerFunction" if portal == "partners" else "AdvertisersAuthorizerFunction"
        return [
            Route(authorizer, f"{kind} authorizer (signed-in request)", "allow", authorize, kind="authorizer"),
            Route(
                f"{prefix}HomeFunction",
                f"GET {base}",
                200,
                _same(http_event("GET", base, identity=identity, accept=HTML)),
            ),
            Route(f"{prefix}SignInFunction", f"GET {base}/sign-in", 200, anonymous_page(f"{base}/sign-in")),
            Route(
                f"{prefix}SignInFunction",
                f"POST {base}/sign-in",
                303,
                form_post(f"{base}/sign-in", lambda n: {"email": users["email"], "password": PASSWORD}, lambda n: []),
                note="Cognito's password check is not timed (Cognito is stubbed)",
            ),
            Route(
                f"{prefix}NewPasswordFunction",
                f"GET {base}/new-password",
                200,
                lambda: (
                    http_event("GET", f"{base}/new-password", accept=HTML, cookies=[challenge(0)]),
                    http_event("GET", f"{base}/new-password", accept=HTML, cookies=[challenge(0)]),
                ),
            ),
            Route(
                f"{prefix}NewPasswordFunction",
                f"POST {base}/new-password",
                303,
                form_post(
                    f"{base}/new-password",
                    lambda n: new_password,
                    lambda n: [challenge(n)],
                ),
            ),
            Route(
                f"{prefix}ForgotPasswordFunction",
                f"GET {base}/forgot-password",
                200,
                anonymous_page(f"{base}/forgot-password"),
            ),
            Route(
                f"{prefix}ForgotPasswordFunction",
                f"POST {base}/forgot-password",
                303,
                form_post(f"{base}/forgot-password", lambda n: {"email": forgetful}, lambda n: []),
            ),
            Route(
                f"{prefix}ForgotPasswordFunction",
                f"GET {base}/forgot-password/confirm",
                200,
                anonymous_page(f"{base}/forgot-password/confirm", query={"email": forgetful}),
            ),
            Route(
                f"{prefix}ForgotPasswordFunction",
                f"POST {base}/forgot-password/confirm",
                303,
                form_post(
                    f"{base}/forgot-password/confirm",
                    lambda n: {"email": forgetful, "code": "123456", **new_password},
                    lambda n: [],
                ),
            ),
            Route(f"{prefix}SignOutFunction", f"POST {base}/sign-out", 303, sign_out),
        ]

    def _leadworks_routes(self) -> list[Route]:
        identity = self.advertiser_identity()
        session_id = identity["session_id"]

        def page(path: str, route: str | None = None, params: dict[str, str] | None = None) -> Events:
            return _same(http_event("GET", path, route=route, identity=identity, path_parameters=params, accept=HTML))

        def create_lead() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for _ in range(2):
                token, cookie = self.csrf(session_id, "/leadworks")
                fields = {**INTAKE, "email": unique_email("lead"), "csrf_token": token}
                made.append(
                    http_event(
                        "POST", "/leadworks/leads", form=fields, identity=identity, accept=HTML, cookies=[cookie]
                    )
                )
            return made[0], made[1]

        def upload() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            boundary = "----bench"
            for _ in range(2):
                token, cookie = self.csrf(session_id, "/leadworks")
                body = (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\n'
                    f"Content-Type: text/csv\r\n\r\n{self._leads_csv(5)}\r\n--{boundary}--\r\n"
                )
                event = http_event("POST", "/leadworks/leads/upload", identity=identity, accept=HTML, cookies=[cookie])
                event["headers"]["content-type"] = f"multipart/form-data; boundary={boundary}"
                event["body"] = base64.b64encode(body.encode()).decode()
                event["isBase64Encoded"] = True
                made.append(event)
            return made[0], made[1]

        report = f"/leadworks/leads/upload/{self.upload_id}/report.csv"
        return [
            Route("LeadworksListLeadsFunction", "GET /leadworks/leads", 200, page("/leadworks/leads")),
            Route(
                "LeadworksViewLeadFunction",
                "GET /leadworks/leads/{lead_id}",
                200,
                page(f"/leadworks/leads/{self.lead}", "/leadworks/leads/{lead_id}", {"lead_id": self.lead}),
            ),
            Route("LeadworksNewLeadFunction", "GET /leadworks/leads/new", 200, page("/leadworks/leads/new")),
            Route("LeadworksCreateLeadFunction", "POST /leadworks/leads", 303, create_lead),
            Route("LeadworksUploadFormFunction", "GET /leadworks/leads/upload", 200, page("/leadworks/leads/upload")),
            Route(
                "LeadworksUploadLeadsFunction",
                "POST /leadworks/leads/upload",
                200,
                upload,
                note="a CSV of 5 new leads",
            ),
            Route(
                "LeadworksUploadReportFunction",
                "GET /leadworks/leads/upload/{upload_id}/report.csv",
                200,
                page(report, "/leadworks/leads/upload/{upload_id}/report.csv", {"upload_id": self.upload_id}),
            ),
        ]

    def _payments_routes(self) -> list[Route]:
        def pay_page() -> tuple[dict[str, Any], dict[str, Any]]:
            token = self.pay_token
            event = http_event(
                "GET",
                f"/payments/pay/{token}",
                route="/payments/pay/{token}",
                accept=HTML,
                path_parameters={"token": token},
            )
            return event, event

        def pay() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for _number, token in self.to_pay:
                csrf_token, cookie = self.csrf(path="/payments")
                form = {"attempt_id": uuid.uuid4().hex, "card_token": self.card(), "csrf_token": csrf_token}
                made.append(self._pay_event(token, "", form=form, cookies=[cookie]))
            return made[0], made[1]

        def receipt() -> tuple[dict[str, Any], dict[str, Any]]:
            from card_payments.links import RECEIPT  # the loaded function's own module

            token = self.sign(RECEIPT, self.paid)
            event = http_event(
                "GET",
                f"/payments/receipts/{token}",
                route="/payments/receipts/{token}",
                accept=HTML,
                path_parameters={"token": token},
            )
            return event, event

        def webhook() -> tuple[dict[str, Any], dict[str, Any]]:
            from local.processor_simulator import sign_webhook

            made = []
            for charge in self.pending_charges:
                body = json.dumps(
                    {
                        "id": unique("evt_"),
                        "type": "charge.succeeded",
                        "created": int(time.time()),
                        "data": {"charge": charge},
                    }
                )
                event = http_event("POST", "/payments/webhooks/processor", body=json.loads(body))
                event["body"] = body
                event["headers"]["processor-signature"] = sign_webhook(WEBHOOK_SECRET, body.encode())
                made.append(event)
            return made[0], made[1]

        return [
            Route("PaymentsPayPageFunction", "GET /payments/pay/{token}", 200, pay_page),
            Route(
                "PaymentsPayInvoiceFunction",
                "POST /payments/pay/{token}",
                200,
                pay,
                note="the receipt PDF and email follow from the outbox stream",
            ),
            Route("PaymentsDownloadReceiptFunction", "GET /payments/receipts/{token}", 303, receipt),
            Route(
                "PaymentsProcessorWebhookFunction",
                "POST /payments/webhooks/processor",
                200,
                webhook,
                note="settles a pending payment",
            ),
        ]

    def _infosite_routes(self) -> list[Route]:
        def link_page(function: str, purpose_name: str, subject: str) -> Events:
            def events() -> tuple[dict[str, Any], dict[str, Any]]:
                from infosite import link_subjects  # the loaded function's own module

                token = self.sign(getattr(link_subjects, purpose_name), subject)
                event = self._url_event(function, "GET", token)
                return event, event

            return events

        def unsubscribe() -> tuple[dict[str, Any], dict[str, Any]]:
            from infosite.link_subjects import UNSUBSCRIBE

            made = []
            for name in ("unsubscribe-1", "unsubscribe-2"):
                csrf_token, cookie = self.csrf()
                token = self.sign(UNSUBSCRIBE, self.contacts[name])
                made.append(
                    self._url_event("unsubscribe", "POST", token, form={"csrf_token": csrf_token}, cookies=[cookie])
                )
            return made[0], made[1]

        def quote() -> tuple[dict[str, Any], dict[str, Any]]:
            return self._quote_post("quote"), self._quote_post("quote")

        return [
            Route(
                "UnsubscribeFunction",
                "GET UnsubscribeFunction URL /?token=",
                200,
                link_page("unsubscribe", "UNSUBSCRIBE", self.contacts["unsubscribe-page"]),
            ),
            Route("UnsubscribeFunction", "POST UnsubscribeFunction URL /?token=", 200, unsubscribe),
            Route(
                "QuoteFunction",
                "GET QuoteFunction URL /?token=",
                200,
                link_page("quote_request", "QUOTE", f"{self.contacts['quote']}:{uuid.uuid4().hex}"),
            ),
            Route("QuoteFunction", "POST QuoteFunction URL /?token=", 200, quote),
        ]

    def _event_routes(self) -> list[Route]:
        """Not HTTP routes (the goal is for routes), measured the same way for the record."""

        def stream_events(sample: str, items: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for item in items:
                event = sample_event(sample)
                record = event["Records"][0]
                record["dynamodb"]["Keys"] = {"pk": item["pk"]}
                record["dynamodb"]["NewImage"] = item
                made.append(event)
            return made[0], made[-1]

        def relay() -> tuple[dict[str, Any], dict[str, Any]]:
            return stream_events("crm/relay_outbox.json", self.outbox_items)

        def receipt_mail() -> tuple[dict[str, Any], dict[str, Any]]:
            return stream_events("payments/send_receipt.json", self.paid_items)

        def quote_alert() -> tuple[dict[str, Any], dict[str, Any]]:
            return stream_events("infosite/send_quote_alert.json", self.quote_items)

        def nurture() -> tuple[dict[str, Any], dict[str, Any]]:
            made = []
            for _ in range(2):
                record = sample_event("infosite/send_nurture_email.json")["Records"][0]
                body = {
                    "send_id": uuid.uuid4().hex,
                    "contact_id": self.contacts["nurture"],
                    "campaign": "Nurture P2",
                    "step": 1,
                }
                made.append({"Records": [{**record, "messageId": str(uuid.uuid4()), "body": json.dumps(body)}]})
            return made[0], made[1]

        def archived() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (_s3_event(self.stack.refs["MailArchiveBucket"], key) for key in self.archived)
            return a, b

        def thumbnail() -> tuple[dict[str, Any], dict[str, Any]]:
            a, b = (_s3_event(self.stack.refs["ImagesBucket"], key) for key in self.image_keys[1:3])
            return a, b

        return [
            Route("OutboxRelayFunction", "OutboxTable stream → CRM queue", "ok", relay, kind="event"),
            Route(
                "PaymentsSendReceiptFunction",
                "OutboxTable stream (card_payment.succeeded) → receipt PDF and email",
                "ok",
                receipt_mail,
                kind="event",
            ),
            Route(
                "QuoteAlertFunction",
                "OutboxTable stream (created_from_quote) → quote alert email",
                "ok",
                quote_alert,
                kind="event",
            ),
            Route("NurtureSenderFunction", "NurtureQueue → nurture email", "ok", nurture, kind="event"),
            Route("LeadworksMailIndexerFunction", "S3 archived mail → index", "ok", archived, kind="event"),
            Route(
                "PartnersMakeThumbnailFunction",
                "S3 image upload → thumbnail",
                "ok",
                thumbnail,
                kind="event",
                note="decodes an 800×600 JPEG and encodes its thumbnail",
            ),
            Route(
                "PaymentsReconcileFunction",
                "schedule → reconcile payments",
                "ok",
                _same(sample_event("payments/reconcile_payments.json")),
                kind="event",
            ),
        ]
