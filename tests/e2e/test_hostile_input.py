"""Hostile input over real HTTP: each a 4xx with a clear message, never a 5xx; script stays inert.

1. Every route that takes a body (from template.yaml), sent bodies it must refuse: too large, of the
   wrong content type, malformed JSON, a JSON array, bytes that are not UTF-8, a broken or repeated
   form field. Each answer is a 4xx: JSON with a message for API clients (Accept: application/json),
   a page for browsers (Accept: text/html). `make test` sends each body as one kind of client
   (alternating), `make stress` as the other too.
2. Unicode edge cases (NUL, RTL override, emoji, combining marks, zero-width, a lone surrogate, CR LF,
   very long) in the text fields of the routes that store text: a 2xx or a 4xx, and the pages that
   show what was stored still open.
3. HTML and script in the text fields that a page or an email shows later: escaped in the page and in
   the email's HTML part (the local mailbox, GET /_local/mailbox.json, has the sent emails).
4. Header injection through email fields (CR/LF and a Bcc, an address list, a display name): a 4xx,
   and no email ever goes to the injected address or has a Bcc header; a line break in a field that
   an email subject shows is refused when the record is made.

HOSTILE_INPUTS (at the end) counts the hostile requests each part sends.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from local.template import Stack
from tests.support import portal_callers as pc
from tests.support.local_stack import LocalStackProcess
from tests.support.partners import proposal_body, unique_zip

MB = 1024 * 1024
BROWSER = "text/html"
API = "application/json"


# -- the world: callers and objects of their own ------------------------------------------------
@dataclass
class World:
    partner: pc.Caller
    partner_zip: str
    advertiser: pc.Caller
    anonymous: pc.Caller
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(local_stack: LocalStackProcess) -> World:
    partner, zip_code = pc.new_partner(local_stack, "hostile partner")
    advertiser = pc.new_advertiser(local_stack, "hostile advertiser")
    ids = {
        "proposal_id": pc.sent_proposal(local_stack, zip_code, with_image=False),
        "pay": pc.new_invoice(local_stack)[1],
    }
    _, ids["unsubscribe"], ids["quote"] = pc.contact_links(local_stack)
    return World(partner, zip_code, advertiser, pc.anonymous(local_stack), ids)


# -- 1. bodies every route must refuse ---------------------------------------------------------
# How each route reads its body: "json" a Powertools model (the request guard checks it), "form"
# read_form (urlencoded or JSON, CSRF-checked), "csv" the bulk upload, "raw" its own bytes, "none".
BODY_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/crm/partners"): "json",
    ("PATCH", "/crm/partners/{partner_id}"): "json",
    ("POST", "/crm/partners/{partner_id}/deactivate"): "none",
    ("POST", "/crm/proposals"): "json",
    ("POST", "/crm/proposals/{proposal_id}/route"): "none",
    ("POST", "/crm/proposals/{proposal_id}/images"): "json",
    ("POST", "/crm/proposals/{proposal_id}/review"): "json",
    ("POST", "/crm/proposals/{proposal_id}/send"): "json",
    ("POST", "/crm/advertisers"): "json",
    ("POST", "/crm/advertisers/{advertiser_id}/deactivate"): "none",
    ("PUT", "/crm/payments/invoices/{number}"): "json",
    ("PUT", "/crm/contacts/{contact_id}"): "json",
    ("POST", "/crm/nurture-emails"): "json",
    ("POST", "/partners/sign-in"): "form",
    ("POST", "/partners/new-password"): "form",
    ("POST", "/partners/forgot-password"): "form",
    ("POST", "/partners/forgot-password/confirm"): "form",
    ("POST", "/partners/sign-out"): "form",
    ("POST", "/leadworks/sign-in"): "form",
    ("POST", "/leadworks/new-password"): "form",
    ("POST", "/leadworks/forgot-password"): "form",
    ("POST", "/leadworks/forgot-password/confirm"): "form",
    ("POST", "/leadworks/sign-out"): "form",
    ("POST", "/partners/proposals/{proposal_id}/accept"): "form",
    ("POST", "/partners/proposals/{proposal_id}/decline"): "form",
    ("POST", "/partners/rph"): "form",
    ("POST", "/leadworks/leads"): "form",
    ("POST", "/leadworks/leads/upload"): "csv",
    ("POST", "/payments/pay/{token}"): "form",
    ("POST", "/payments/webhooks/processor"): "raw",
    ("POST", "/fn/UnsubscribeFunction/"): "raw",
    ("POST", "/fn/QuoteFunction/"): "form",
}


def template_body_routes() -> list[tuple[str, str]]:
    routes = []
    for logical_id, resource in Stack.from_file().of_type("AWS::Serverless::Function").items():
        props = resource["Properties"]
        if props.get("FunctionUrlConfig"):
            routes.append(("POST", f"/fn/{logical_id}/"))
        for event in (props.get("Events") or {}).values():
            p = event.get("Properties") or {}
            if event.get("Type") == "HttpApi" and p["Method"].upper() in ("POST", "PUT", "PATCH"):
                routes.append((p["Method"].upper(), p["Path"]))
    return sorted(routes)


def test_the_sweep_covers_every_route_that_takes_a_body() -> None:
    assert sorted(BODY_ROUTES) == template_body_routes()


@dataclass(frozen=True)
class Hostile:
    """A body to refuse: its bytes, its content type, the statuses allowed per way of reading."""

    name: str
    content: bytes
    content_type: str | None
    expect: dict[str, set[int]]


BIG_JSON = b'{"x": "' + b"a" * (MB + 64 * 1024) + b'"}'
BIG_FORM = b"x=" + b"a" * (MB + 64 * 1024)
BIG_CSV = b"customer_name,email\n" + b"Somebody,somebody@example.com\n" * (5 * MB // 30)
ANY_4XX = set(range(400, 500))
HOSTILE_BODIES = [
    Hostile("oversized JSON", BIG_JSON, "application/json", {k: {413} for k in ("json", "raw", "none")}),
    Hostile(
        "oversized form",
        BIG_FORM,
        "application/x-www-form-urlencoded",
        {"form": {413}},
    ),
    Hostile("oversized CSV", BIG_CSV, "text/csv", {"csv": {413}}),
    Hostile("text/plain", b"hello", "text/plain", {"json": {415}, "form": {415}, "csv": {415}, "raw": ANY_4XX}),
    Hostile(
        "multipart where JSON is read",
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        {"json": {415}, "form": {415}},
    ),
    Hostile(
        "multipart without a boundary",
        b"--b\r\n\r\n--b--",
        "multipart/form-data",
        {"json": {415}, "form": {415}, "csv": {400, 403}},
    ),
    Hostile(
        "malformed JSON",
        b'{"email": "a@example.com", ',
        "application/json",
        {"json": {400}, "form": {400}, "raw": ANY_4XX},
    ),
    Hostile("JSON array", b"[1, 2, 3]", "application/json", {"json": {422}, "form": {400}}),
    Hostile("JSON with a NUL byte", b'{"a": "\x00"}', "application/json", {"json": {400, 422}, "form": {400}}),
    Hostile(
        "JSON that is not UTF-8",
        b'{"name": "\xff\xfe\xfa"}',
        "application/json",
        {"json": {400}, "form": {400}, "raw": ANY_4XX},
    ),
    Hostile(
        "form that is not UTF-8", b"email=\xff\xfe%ff&password=x", "application/x-www-form-urlencoded", {"form": {400}}
    ),
    Hostile(
        "form with a broken %-escape", b"email=a%E0%A4&password=%", "application/x-www-form-urlencoded", {"form": {400}}
    ),
    Hostile(
        "form with a field twice",
        b"email=a@example.com&email=b@example.com&password=x",
        "application/x-www-form-urlencoded",
        {"form": {400}},
    ),
    Hostile("no content type", b"email=a@example.com", None, {"form": {400, 415}}),
]


def route_path(route: tuple[str, str], world: World) -> str:
    """The route's path with ids that exist where it matters (the token routes check the token first)."""
    values = {
        "partner_id": f"hrd-missing-{uuid.uuid4().hex[:8]}",  # nothing is deactivated or changed
        "advertiser_id": f"HRD-missing-{uuid.uuid4().hex[:8]}",
        "proposal_id": world.ids["proposal_id"],
        "number": f"INV-HRD-{uuid.uuid4().hex[:8].upper()}",
        "contact_id": f"hrd-{uuid.uuid4().hex[:8]}",
        "token": world.ids["pay"].rsplit("/", 1)[-1],
    }
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route[1])
    if route[1] == "/fn/UnsubscribeFunction/":
        return world.ids["unsubscribe"]
    if route[1] == "/fn/QuoteFunction/":
        return world.ids["quote"]
    return path


def caller_of(route: tuple[str, str], world: World) -> pc.Caller:
    path = route[1]
    if path.startswith("/partners/") and not re.search(r"sign-in|sign-out|password", path):
        return world.partner
    if path.startswith("/leadworks/") and not re.search(r"sign-in|sign-out|password", path):
        return world.advertiser
    return world.anonymous


def clear_message(answer: httpx.Response, accept: str) -> str | None:
    """What is wrong with an error answer's body (None: a clear message for its kind of client)."""
    if accept == API:
        try:
            doc = answer.json()
        except ValueError:
            return f"not JSON: {answer.text[:200]}"
        message = (doc.get("error") or {}).get("message") if isinstance(doc, dict) else None
        if not message and isinstance(doc, dict) and "outcome" in doc:  # a payment answer says its outcome
            message = doc.get("message")
        return None if message and "Traceback" not in answer.text else f"no message: {answer.text[:200]}"
    if "text/html" not in answer.headers.get("content-type", ""):
        return f"not a page: {answer.headers.get('content-type')}"
    return (
        None if "<h1" in answer.text and "Traceback" not in answer.text else f"not a friendly page: {answer.text[:200]}"
    )


PAIRS = [
    (route, hostile)
    for route, reads in sorted(BODY_ROUTES.items())
    for hostile in HOSTILE_BODIES
    if reads in hostile.expect or (reads == "none" and not hostile.name.startswith("oversized"))
]
# Each pair as an API client and as a browser: `make test` sends one of the two (alternating, so
# every route meets both kinds of client), `make stress` the other as well.
SWEEP = [
    pytest.param(
        route,
        hostile,
        accept,
        id=f"{route[0]} {route[1]} | {hostile.name} | {'browser' if accept == BROWSER else 'API client'}",
        marks=() if (n % 2 == 0) == (accept == API) else (pytest.mark.stress,),
    )
    for n, (route, hostile) in enumerate(PAIRS)
    for accept in (API, BROWSER)
]


@pytest.mark.parametrize(("route", "hostile", "accept"), SWEEP)
def test_a_hostile_body_gets_a_4xx_with_a_clear_message(
    local_stack: LocalStackProcess, world: World, route: tuple[str, str], hostile: Hostile, accept: str
) -> None:
    reads = BODY_ROUTES[route]
    expected = hostile.expect.get(reads, ANY_4XX | {200, 201, 202, 303, 404})
    caller = caller_of(route, world)
    # When the route is sent the hostile body
    headers = caller.headers(accept)
    if hostile.content_type:
        headers["Content-Type"] = hostile.content_type
    with local_stack.client() as http:
        answer = http.request(route[0], route_path(route, world), content=hostile.content, headers=headers)
    # Then it answers the expected 4xx (or, where the route reads no body, anything but a 5xx)
    assert answer.status_code < 500, f"{answer.status_code} {answer.text[:300]}"
    assert answer.status_code in expected, f"{answer.status_code} {answer.text[:300]}"
    # And an error says what is wrong: JSON with a message (API clients), a page (browsers)
    if answer.status_code >= 400 and not gateway_answer(answer):
        problem = clear_message(answer, accept)
        assert problem is None, f"{answer.status_code} {problem}"


def gateway_answer(answer: httpx.Response) -> bool:
    """API Gateway's own answer (an authorizer's refusal, an unknown route): {"message": "..."}."""
    try:
        doc = answer.json()
    except ValueError:
        return False
    return isinstance(doc, dict) and set(doc) == {"message"}


# -- 2. unicode edge cases in stored text ------------------------------------------------------
UNICODE = {
    "NUL": "Pat\x00Smith",
    "RTL override": "Pat \u202eevil.exe\u202c Smith",
    "emoji": "Pat 🏠🔧 Smith",
    "combining marks": "Pat " + "e\u0301\u0302\u0303" * 20,
    "zero-width and BOM": "Pat\u200b\ufeffSmith",
    "lone surrogate": "Pat \ud800 Smith",
    "very long": "Pat " + "x" * 20000,
    "CR LF": "Pat\r\nSmith",
}


def json_bytes(doc: Any) -> bytes:
    """JSON as a client may send it: a lone surrogate is written as its \\ud800 escape."""
    return json.dumps(doc, ensure_ascii=True).encode()


def unicode_cases() -> list[Any]:
    return [pytest.param(name, value, id=name) for name, value in UNICODE.items()]


@pytest.mark.parametrize(("name", "value"), unicode_cases())
def test_unicode_edge_cases_in_stored_text_get_a_2xx_or_a_4xx_and_pages_still_open(
    local_stack: LocalStackProcess, world: World, name: str, value: str
) -> None:
    """9 requests storing the value (RPH, lead, proposal, advertiser, contact, invoice, quote form,
    sign-in, forgot password), and the pages that show what was stored."""
    answers: dict[str, httpx.Response] = {}
    api = {"Content-Type": API}
    intake = {**pc.INTAKE, "customer_name": value, "problem_description": f"{value} — the drive is cracked."}
    with world.partner.client(local_stack) as http:
        answers["rph"] = http.post("/partners/rph", content=json_bytes(intake), headers=api)
    with world.advertiser.client(local_stack) as http:
        lead = {**intake, "email": f"uni.{uuid.uuid4().hex[:10]}@example.com"}
        answers["lead"] = http.post("/leadworks/leads", content=json_bytes(lead), headers=api)
    with local_stack.client(headers={"Accept": API, **api}) as crm:
        body = proposal_body(world.partner_zip, proposal_id=f"HRD-{uuid.uuid4().hex[:10]}", opportunity_name=value)
        answers["proposal"] = crm.post("/crm/proposals", content=json_bytes({**body, "surveyor_notes": value}))
        answers["advertiser"] = crm.post(
            "/crm/advertisers",
            content=json_bytes(
                {"company_name": value, "contact_name": value, "email": f"uni.{uuid.uuid4().hex[:8]}@ads.example"}
            ),
        )
        contact_id = f"hrd-{uuid.uuid4().hex[:10]}"
        answers["contact"] = crm.put(
            f"/crm/contacts/{contact_id}",
            content=json_bytes({"name": value, "email": f"{contact_id}@example.com", "kind": "prospect"}),
        )
        number = f"INV-HRD-{uuid.uuid4().hex[:8].upper()}"
        invoice = {
            "customer": {"name": value, "email": f"{number.lower()}@example.com"},
            "amount": "10.00",
            "due_date": "2031-01-01",
            "description": value,
        }
        answers["invoice"] = crm.put(f"/crm/payments/invoices/{number}", content=json_bytes(invoice))
    with local_stack.client(headers={"Accept": API, **api}) as http:
        quote = {
            "name": value,
            "email": "uni@example.com",
            "needs": value,
            "contact_by": "email",
            "best_time": value[:100],
        }
        answers["quote"] = http.post(world.ids["quote"], content=json_bytes(quote))
        answers["sign-in"] = http.post("/partners/sign-in", content=json_bytes({"email": value, "password": value}))
        answers["forgot password"] = http.post("/leadworks/forgot-password", content=json_bytes({"email": value}))
    # Then each is stored (2xx) or refused with a clear message (4xx), never a 5xx
    for what, answer in answers.items():
        assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
        if answer.status_code >= 400:
            assert clear_message(answer, API) is None, f"{what}: {answer.text[:300]}"
    # And the pages that show what was stored still open
    shown = []
    if answers["rph"].status_code == 201:
        shown.append((world.partner, f"/partners/rph/{answers['rph'].json()['rph_id']}"))
        shown.append((world.partner, "/partners/rph"))
    if answers["lead"].status_code == 201:
        shown.append((world.advertiser, f"/leadworks/leads/{answers['lead'].json()['lead_id']}"))
        shown.append((world.advertiser, "/leadworks/leads"))
    if answers["invoice"].status_code in (200, 201):
        shown.append((world.anonymous, pc.local_path(answers["invoice"].json()["payment_link"]["url"])))
    for caller, path in shown:
        for accept in (BROWSER, API):
            with caller.client(local_stack, accept=accept) as http:
                page = http.get(path)
            assert page.status_code == 200, f"{path} ({accept}): {page.status_code} {page.text[:300]}"


# -- 3. HTML and script: inert in pages and emails ---------------------------------------------
PAYLOADS = {"script": "<script>alert(1)</script>", "attribute": '"><img src=x onerror=alert(1)>'}
ESCAPED = {"script": "&lt;script&gt;alert(1)&lt;/script&gt;", "attribute": "&lt;img src=x onerror=alert(1)&gt;"}


def assert_inert(html: str, kind: str, where: str) -> None:
    assert PAYLOADS[kind] not in html, f"{where}: the {kind} payload is in the HTML as is"
    assert "<img src=x" not in html and "<script>alert" not in html, where
    assert ESCAPED[kind] in html, f"{where}: the payload is not shown at all (escaped)"


def html_of_mail(stack: LocalStackProcess, address: str, subject_has: str = "") -> str:
    for message in pc.mails_to(stack, address):
        if subject_has in message["subject"]:
            return str(message["html"])
    raise AssertionError(f"no email to {address} ({subject_has})")


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_script_in_intake_fields_is_inert_in_the_rph_and_lead_pages(
    local_stack: LocalStackProcess, world: World, kind: str
) -> None:
    """2 requests (an RPH and a lead, 5 text fields each), 6 pages checked (detail, list, and a form
    shown again with the payload in its fields)."""
    payload = PAYLOADS[kind]
    intake = {
        **pc.INTAKE,
        "customer_name": payload,
        "contact_name": payload,
        "street": payload,
        "city": payload,
        "problem_description": f"{payload} — the problem",
    }
    with world.partner.client(local_stack) as http:
        rph = http.post("/partners/rph", json=intake)
        assert rph.status_code == 201, rph.text
    with world.advertiser.client(local_stack) as http:
        lead = http.post("/leadworks/leads", json={**intake, "email": f"xss.{uuid.uuid4().hex[:10]}@example.com"})
        assert lead.status_code == 201, lead.text
    pages = [
        (world.partner, f"/partners/rph/{rph.json()['rph_id']}"),
        (world.partner, "/partners/rph"),
        (world.advertiser, f"/leadworks/leads/{lead.json()['lead_id']}"),
        (world.advertiser, "/leadworks/leads"),
    ]
    for caller, path in pages:
        with caller.client(local_stack, accept=BROWSER) as http:
            page = http.get(path)
        assert page.status_code == 200, path
        assert_inert(page.text, kind, path)
    # And a form shown again (a field missing) has the payload escaped in its fields
    for caller, path in ((world.partner, "/partners/rph"), (world.advertiser, "/leadworks/leads")):
        with caller.client(local_stack, accept=BROWSER) as http:
            again = http.post(path, data={**intake, "state": "", "csrf_token": caller.csrf})
        assert again.status_code == 422, again.text[:300]
        assert_inert(again.text, kind, f"{path} (form shown again)")


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_script_in_a_proposal_from_the_crm_is_inert_in_the_partners_pages_and_the_notice_email(
    local_stack: LocalStackProcess, world: World, kind: str
) -> None:
    """1 proposal with 9 text fields carrying the payload; 3 pages and 1 email checked."""
    payload = PAYLOADS[kind]
    body = proposal_body(
        world.partner_zip,
        proposal_id=f"HRD-{uuid.uuid4().hex[:10]}",
        opportunity_name=f"Job {payload}",
        account_name=payload,
        account_owner=payload,
        account_manager={"name": payload, "email": "alex.manager@example.com"},
        customer={"name": payload, "email": "john.smith@example.com", "phone": "+1 212 555 0100"},
        contact={"name": payload, "phone": "+1 212 555 0101"},
        surveyor_notes=payload,
        products=[{"product": payload, "quantity": "1", "unit_price": "10.00"}],
    )
    with local_stack.client(headers={"Accept": API}) as crm:
        created = crm.post("/crm/proposals", json=body)
        assert created.status_code == 201, created.text
        pid = created.json()["proposal_id"]
        assert (
            crm.post(f"/crm/proposals/{pid}/send", json={"reviewed_by": "alex.manager@example.com"}).status_code == 200
        )
    with world.partner.client(local_stack, accept=BROWSER) as http:
        for path in (
            f"/partners/proposals/{pid}",
            f"/partners/proposals/{pid}?tab=products",
            "/partners/proposals",
            f"/partners/proposals/{pid}/decline",
        ):
            page = http.get(path)
            assert page.status_code == 200, path
            assert_inert(page.text, kind, path)
    assert_inert(html_of_mail(local_stack, world.partner.email or "", pid), kind, "the notice email")


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_script_in_a_quote_request_is_inert_in_the_thank_you_page_and_the_staff_alert(
    local_stack: LocalStackProcess, kind: str
) -> None:
    """1 quote form with 4 text fields carrying the payload (and a contact whose name carries it);
    the thank-you page, the form shown again and the alert email checked."""
    payload = PAYLOADS[kind]
    owner = f"owner.{uuid.uuid4().hex[:8]}@example.com"
    contact_id = f"hrd-{uuid.uuid4().hex[:10]}"
    with local_stack.client(headers={"Accept": API}) as crm:
        assert crm.put(
            f"/crm/contacts/{contact_id}",
            json={
                "name": payload,
                "email": f"{contact_id}@example.com",
                "kind": "prospect",
                "owner": owner,
                "company": payload,
            },
        ).status_code in (200, 201)
        assert (
            crm.post(
                "/crm/nurture-emails", json={"contact_id": contact_id, "campaign": "Nurture P2", "step": 1}
            ).status_code
            == 202
        )
    nurture = html_of_mail(local_stack, f"{contact_id}@example.com")
    assert_inert(nurture, kind, "the nurture email")
    quote_path = pc.local_path(
        re.search(r'href="([^"]*/fn/QuoteFunction/\?token=[^"]+)"', nurture).group(1).replace("&amp;", "&")
    )  # type: ignore[union-attr]
    fields = {
        "name": payload,
        "email": f"{contact_id}@example.com",
        "company": payload,
        "needs": payload,
        "contact_by": "email",
        "best_time": payload,
    }
    anonymous = pc.anonymous(local_stack)
    with anonymous.client(local_stack, accept=BROWSER) as http:
        form = http.get(quote_path)
        assert form.status_code == 200
        assert_inert(form.text, kind, "the quote form (prefilled)")
        again = http.post(quote_path, data={**fields, "needs": "", "csrf_token": anonymous.csrf})
        assert again.status_code == 422
        assert_inert(again.text, kind, "the quote form shown again")
        thanks = http.post(quote_path, data={**fields, "csrf_token": anonymous.csrf})
        assert thanks.status_code == 200, thanks.text[:300]
        assert_inert(thanks.text, kind, "the thank-you page")
    assert_inert(html_of_mail(local_stack, owner), kind, "the staff alert email")


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_script_in_an_invoice_is_inert_in_the_payment_page(local_stack: LocalStackProcess, kind: str) -> None:
    """1 invoice with 3 text fields carrying the payload; the payment page checked."""
    payload = PAYLOADS[kind]
    number = f"INV-HRD-{uuid.uuid4().hex[:8].upper()}"
    invoice = {
        "customer": {"name": payload, "email": f"{number.lower()}@example.com"},
        "due_date": "2031-01-01",
        "description": payload,
        "lines": [{"description": payload, "quantity": 1, "unit_amount": "12.50"}],
    }
    with local_stack.client(headers={"Accept": API}) as crm:
        made = crm.put(f"/crm/payments/invoices/{number}", json=invoice)
    assert made.status_code == 201, made.text
    with local_stack.client(headers={"Accept": BROWSER}) as http:
        page = http.get(pc.local_path(made.json()["payment_link"]["url"]))
    assert page.status_code == 200
    assert_inert(page.text, kind, "the payment page")


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_script_in_a_sign_in_email_is_inert_in_the_sign_in_page_shown_again(
    local_stack: LocalStackProcess, kind: str
) -> None:
    """4 requests (sign-in and forgot password, each portal); each page shown again checked."""
    anonymous = pc.anonymous(local_stack)
    for path in ("/partners/sign-in", "/leadworks/sign-in", "/partners/forgot-password", "/leadworks/forgot-password"):
        with anonymous.client(local_stack, accept=BROWSER) as http:
            page = http.post(path, data={"email": PAYLOADS[kind], "password": "x", "csrf_token": anonymous.csrf})
        assert page.status_code == 422, (path, page.status_code)
        assert_inert(page.text, kind, path)


# -- 4. header injection through email fields ---------------------------------------------------
EVIL = "x.evil@evil.example"
INJECTIONS = {
    "CRLF Bcc": f"a@example.com\r\nBcc: {EVIL}",
    "LF Bcc": f"a@example.com\nBcc: {EVIL}",
    "comma list": f"a@example.com, {EVIL}",
    "display name with CRLF": f'"Pat\r\nBcc: {EVIL}" <a@example.com>',
}


def email_fields(world: World) -> list[tuple[str, str, str, pc.Caller, Any]]:
    """(what, method, path, caller, body with the email) of every route that takes an email address."""
    p = world.partner
    a = world.advertiser
    anon = world.anonymous
    return [
        ("partner sign-in", "POST", "/partners/sign-in", anon, lambda e: {"email": e, "password": "Whatever-2026"}),
        ("advertiser sign-in", "POST", "/leadworks/sign-in", anon, lambda e: {"email": e, "password": "Whatever-2026"}),
        ("forgot password", "POST", "/partners/forgot-password", anon, lambda e: {"email": e}),
        (
            "reset password",
            "POST",
            "/leadworks/forgot-password/confirm",
            anon,
            lambda e: {
                "email": e,
                "code": "123456",
                "new_password": "Whatever-2026",
                "confirm_password": "Whatever-2026",
            },
        ),
        ("RPH customer email", "POST", "/partners/rph", p, lambda e: {**pc.INTAKE, "email": e}),
        ("lead email", "POST", "/leadworks/leads", a, lambda e: {**pc.INTAKE, "email": e}),
        (
            "quote form email",
            "POST",
            world.ids["quote"],
            anon,
            lambda e: {"name": "Pat", "email": e, "needs": "Gutters.", "contact_by": "email"},
        ),
        (
            "partner registration",
            "POST",
            "/crm/partners",
            None,
            lambda e: {"company_name": "Evil Paving", "contact_name": "Eve", "email": e, "zip": unique_zip()},
        ),
        ("partner change", "PATCH", "/crm/partners/{partner}", None, lambda e: {"email": e}),
        (
            "advertiser registration",
            "POST",
            "/crm/advertisers",
            None,
            lambda e: {"company_name": "Evil Ads", "email": e},
        ),
        (
            "contact",
            "PUT",
            "/crm/contacts/hrd-evil-{n}",
            None,
            lambda e: {"name": "Eve", "email": e, "kind": "prospect"},
        ),
        (
            "contact owner",
            "PUT",
            "/crm/contacts/hrd-evil-{n}",
            None,
            lambda e: {"name": "Eve", "email": "eve@example.com", "kind": "prospect", "owner": e},
        ),
        (
            "invoice customer",
            "PUT",
            "/crm/payments/invoices/INV-HRD-EVIL-{n}",
            None,
            lambda e: {"customer": {"name": "Eve", "email": e}, "amount": "10.00", "due_date": "2031-01-01"},
        ),
        (
            "proposal account manager",
            "POST",
            "/crm/proposals",
            None,
            lambda e: proposal_body(world.partner_zip, account_manager={"name": "Alex", "email": e}),
        ),
        (
            "proposal customer",
            "POST",
            "/crm/proposals",
            None,
            lambda e: proposal_body(
                world.partner_zip, customer={"name": "John", "email": e, "phone": "+1 212 555 0100"}
            ),
        ),
        ("proposal reviewer", "POST", "/crm/proposals/{proposal}/send", None, lambda e: {"reviewed_by": e}),
    ]


@pytest.mark.parametrize("injection", sorted(INJECTIONS))
def test_header_injection_through_an_email_field_is_a_4xx_and_never_an_extra_header(
    local_stack: LocalStackProcess, world: World, injection: str
) -> None:
    """16 email fields, each sent as JSON (and the 7 portal forms also as a urlencoded form)."""
    value = INJECTIONS[injection]
    wrong = []
    for what, method, path, caller, body in email_fields(world):
        path = path.format(
            partner=f"hrd-missing-{uuid.uuid4().hex[:6]}",
            proposal=world.ids["proposal_id"],
            n=uuid.uuid4().hex[:6].upper(),
        )
        who = caller or pc.Caller("CRM")
        variants = [("json", {"json": body(value)})]
        if caller is not None:
            variants.append(("form", {"data": {**body(value), "csrf_token": who.csrf}}))
        for kind, kwargs in variants:
            with who.client(local_stack, accept=API) as http:
                answer = http.request(method, path, **kwargs)
            if not 400 <= answer.status_code < 500:
                wrong.append(f"{what} ({kind}): {answer.status_code} {answer.text[:200]}")
            elif clear_message(answer, API):
                wrong.append(f"{what} ({kind}): {clear_message(answer, API)}")
    assert not wrong, "\n".join(wrong)
    # And no email went to the injected address or carries an injected header
    for message in local_stack.mailbox():
        assert EVIL not in message["destinations"]
        assert not any(name.lower() == "bcc" for name, _ in message["headers"])
        assert EVIL not in json.dumps(message["headers"])


@pytest.mark.parametrize("injection", ["CRLF Bcc", "LF Bcc"])
def test_a_line_break_in_a_field_that_goes_into_an_email_subject_is_a_4xx(
    local_stack: LocalStackProcess, world: World, injection: str
) -> None:
    """4 fields that email subjects show (a proposal's title, a contact's name and company, the quote
    form's name): refused when the record is made, not later when its email cannot be sent."""
    value = "Pat" + INJECTIONS[injection].removeprefix("a@example.com")
    contact_id = f"hrd-{uuid.uuid4().hex[:10]}"
    with local_stack.client(headers={"Accept": API}) as http:
        answers = {
            "proposal title": http.post(
                "/crm/proposals", json=proposal_body(world.partner_zip, opportunity_name=f"Job {value}")
            ),
            "contact name": http.put(
                f"/crm/contacts/{contact_id}",
                json={"name": value, "email": f"{contact_id}@example.com", "kind": "prospect"},
            ),
            "contact company": http.put(
                f"/crm/contacts/{contact_id}",
                json={"name": "Pat", "email": f"{contact_id}@example.com", "kind": "prospect", "company": value},
            ),
            "quote form name": http.post(
                world.ids["quote"],
                json={"name": value, "email": "pat@example.com", "needs": "Gutters.", "contact_by": "email"},
            ),
        }
    for what, answer in answers.items():
        assert answer.status_code == 422, f"{what}: {answer.status_code} {answer.text[:300]}"
        assert clear_message(answer, API) is None, what


# The figure for the README: hostile requests sent by this module (each answered < 500, 4xx where refused)
HOSTILE_INPUTS = {
    "bodies refused (make test: one kind of client each; make stress: both)": len(PAIRS),
    "unicode edge cases (9 routes each)": len(UNICODE) * 9,
    # per payload: RPH, lead and both forms shown again; proposal; contact and 2 quote posts; invoice; 4 sign-in forms
    "HTML and script in shown text": len(PAYLOADS) * 13,
    # per injection: 16 email fields as JSON, and the 7 portal forms among them as urlencoded forms too
    "header injection through email fields": len(INJECTIONS) * 23,
    "line breaks in fields that email subjects show": 2 * 4,
}
