"""Who calls the portals in the hardening tests (fuzzing, hostile input, the authorization matrix),
each with objects of its own: a fresh partner with a sent proposal (with an image) and an RPH, a fresh
advertiser with a lead and an upload, an invoice with its payment and receipt links, a contact with
its unsubscribe and quote links. All made through the real routes, with unique ids, so nothing here
touches the demo users or other tests' data.

A caller's cookies are sent by hand (``Cookie`` header): httpx keeps ``__Host-`` (Secure) cookies off
the local stack's plain http, as browsers do not (127.0.0.1 counts as a secure context).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from portal_common.web import csrf
from tests.support.local_stack import LocalStackProcess
from tests.support.partners import jpeg_bytes, partner_body, proposal_body, unique, unique_zip
from tests.support.signin_users import PORTALS, browser_like_client, id_claims

PASSWORD = "Hardening-Test-2026"
JSON = {"Accept": "application/json"}
FORM_PAGES = {"partners": "/partners/rph/new", "leadworks": "/leadworks/leads/new"}


@dataclass
class Caller:
    """A browser's state: its cookies (session, CSRF) and the CSRF token its forms carry."""

    label: str
    cookies: dict[str, str] = field(default_factory=dict)
    subject_id: str | None = None
    email: str | None = None

    @property
    def csrf(self) -> str:
        return next((value for name, value in self.cookies.items() if name.endswith("csrf")), "")

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def headers(self, accept: str = "application/json") -> dict[str, str]:
        return {"Accept": accept, **self.cookie_header()}

    def client(self, stack: LocalStackProcess, accept: str = "application/json") -> httpx.Client:
        return stack.client(headers=self.headers(accept))


def anonymous(stack: LocalStackProcess) -> Caller:
    """Signed out, with the CSRF cookie a public form page sets (bound to "anonymous"). Each part of
    the site has its own CSRF cookie (portal_common.web.csrf.cookie_name); a token bound to
    "anonymous" passes in every part, so the one a sign-in page set is carried under each part's
    name, as a browser that had opened a public form of each would carry one."""
    with browser_like_client(stack.url) as http:
        assert http.get("/partners/sign-in").status_code == 200
        token = http.jar["__Host-partners-csrf"]  # type: ignore[attr-defined]
    parts = ("/", "/partners", "/leadworks", "/payments")
    return Caller("signed out", {f"__Host-{csrf.cookie_name(part)}": token for part in parts})


def _signed_in(stack: LocalStackProcess, portal: str, email: str, label: str, subject_id: str) -> Caller:
    with browser_like_client(stack.url) as http:
        answer = http.post(f"/{portal}/sign-in", json={"email": email, "password": PASSWORD}, headers=JSON)
        assert answer.status_code == 200, answer.text
        assert http.get(FORM_PAGES[portal]).status_code == 200  # the CSRF cookie, bound to this session
        return Caller(label, dict(http.jar), subject_id, email)


def new_partner(stack: LocalStackProcess, label: str = "partner") -> tuple[Caller, str]:
    """(a signed-in partner registered by the CRM route, its ZIP code)."""
    zip_code = unique_zip()
    body = partner_body(zip_code, partner_id=unique("hrd-"))
    with stack.client() as http:
        made = http.post("/crm/partners", json=body, headers=JSON)
    assert made.status_code == 201, made.text
    stack.aws("cognito-idp").admin_set_user_password(
        UserPoolId=stack.info["outputs"]["PartnersUserPoolId"],
        Username=body["email"],
        Password=PASSWORD,
        Permanent=True,
    )
    return _signed_in(stack, "partners", body["email"], label, body["partner_id"]), zip_code


def new_advertiser(stack: LocalStackProcess, label: str = "advertiser") -> Caller:
    advertiser_id = f"HRD-{uuid.uuid4().hex[:10]}"
    email = f"{advertiser_id.lower()}@ads.example"
    with stack.client() as http:
        made = http.post(
            "/crm/advertisers",
            json={
                "advertiser_id": advertiser_id,
                "company_name": "Hardening Ads",
                "email": email,
                "temporary_password": PASSWORD,
            },
            headers=JSON,
        )
    assert made.status_code == 201, made.text
    stack.aws("cognito-idp").admin_set_user_password(
        UserPoolId=stack.info["outputs"]["AdvertisersUserPoolId"], Username=email, Password=PASSWORD, Permanent=True
    )
    return _signed_in(stack, "leadworks", email, label, advertiser_id)


def forged_session(stack: LocalStackProcess, portal: str, subject_id: str, email: str) -> Caller:
    """A session cookie naming ``subject_id`` with every right claim, signed with a key that is not the pool's."""
    pool_output, client_output, claim = PORTALS[portal]
    outputs = stack.info["outputs"]
    claims = id_claims(outputs[pool_output], outputs[client_output], **{claim: subject_id, "email": email})
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": "dummy"})
    return Caller("forged sign-in cookie", {f"__Host-{portal}-session": token})


# -- objects of a partner ---------------------------------------------------------------------
def sent_proposal(stack: LocalStackProcess, zip_code: str, *, with_image: bool = True, **overrides: Any) -> str:
    """A proposal the CRM created on ``zip_code`` (so: for its partner), with one image, sent."""
    body = proposal_body(zip_code, proposal_id=unique("HRD-"), **overrides)
    with stack.client(headers=JSON) as crm:
        created = crm.post("/crm/proposals", json=body)
        assert created.status_code == 201, created.text
        pid = str(created.json()["proposal_id"])
        if with_image:
            add_image(stack, pid)
        sent = crm.post(f"/crm/proposals/{pid}/send", json={"reviewed_by": "alex.manager@example.com"})
        assert sent.status_code == 200, sent.text
    return pid


def add_image(stack: LocalStackProcess, proposal_id: str) -> None:
    """As the CRM does: a presigned POST from the portal, then the file straight to the bucket."""
    with stack.client(headers=JSON) as crm:
        pid = proposal_id
        presigned = crm.post(f"/crm/proposals/{pid}/images", json={"content_type": "image/jpeg"})
        assert presigned.status_code == 201, presigned.text
        post = presigned.json()
        stored = httpx.post(
            post["url"], data=post["fields"], files={"file": ("photo.jpg", jpeg_bytes(), "image/jpeg")}, timeout=30
        )
        assert stored.status_code < 300, stored.text


def image_of(stack: LocalStackProcess, owner: Caller, proposal_id: str, timeout: float = 60) -> str:
    """The proposal's image id, once its thumbnail is made (the image then shows in the proposal)."""
    deadline = time.monotonic() + timeout
    with owner.client(stack) as http:
        while True:
            images = http.get(f"/partners/proposals/{proposal_id}/images").json().get("images") or []
            if images:
                return str(images[0]["image_id"])
            assert time.monotonic() < deadline, "the proposal's image was never processed"
            time.sleep(0.5)


INTAKE = {
    "customer_name": "Casey Hardening",
    "email": "casey.hardening@example.com",
    "phone": "+1 212 555 0199",
    "street": "9 Test Lane",
    "city": "Springfield",
    "state": "NY",
    "zip": "10001",
    "problem_description": "Water pools along the driveway after rain.",
}


def new_rph(stack: LocalStackProcess, owner: Caller, **fields: str) -> str:
    with owner.client(stack) as http:
        made = http.post("/partners/rph", json={**INTAKE, **fields})
    assert made.status_code == 201, made.text
    return str(made.json()["rph_id"])


# -- objects of an advertiser -----------------------------------------------------------------
def new_lead(stack: LocalStackProcess, owner: Caller, **fields: str) -> str:
    body = {**INTAKE, "email": f"lead.{uuid.uuid4().hex[:10]}@example.com", **fields}
    with owner.client(stack) as http:
        made = http.post("/leadworks/leads", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["lead_id"])


def new_upload(stack: LocalStackProcess, owner: Caller) -> str:
    """A bulk upload of two leads (as an API client: the CSV itself), its id for the report."""
    rows = [
        "customer_name,email,street,city,state,zip,problem_description",
        *(
            f"Upload Person,up.{uuid.uuid4().hex[:10]}@example.com,1 Main St,Austin,TX,73301,Roof leaks in the kitchen."
            for _ in range(2)
        ),
    ]
    with owner.client(stack) as http:
        made = http.post(
            "/leadworks/leads/upload", content="\n".join(rows).encode(), headers={"Content-Type": "text/csv"}
        )
    assert made.status_code == 200, made.text
    return str(made.json()["upload_id"])


# -- signed links -----------------------------------------------------------------------------
def mails_to(stack: LocalStackProcess, address: str, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in stack.mailbox() if address in m["destinations"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def notice_link(stack: LocalStackProcess, partner: Caller, proposal_id: str) -> str:
    """The path of the link in the proposal's notice email to its partner."""
    assert partner.email
    for message in mails_to(stack, partner.email):
        if proposal_id in message["subject"]:
            found = re.search(r"https?://\S+?(/partners/notice/[A-Za-z0-9._~-]+)", message["text"] or "")
            assert found, message["text"]
            return found.group(1)
    raise AssertionError(f"no notice email for {proposal_id}")


def new_invoice(stack: LocalStackProcess) -> tuple[str, str]:
    """(invoice number, path of its payment link)."""
    number = f"INV-HRD-{uuid.uuid4().hex[:10].upper()}"
    body = {
        "customer": {"name": "Hardening Customer", "email": f"pay.{number.lower()}@example.com"},
        "currency": "USD",
        "amount": "99.00",
        "due_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "description": "Hardening test invoice",
    }
    with stack.client() as http:
        made = http.put(f"/crm/payments/invoices/{number}", json=body, headers=JSON)
    assert made.status_code == 201, made.text
    return number, local_path(made.json()["payment_link"]["url"])


def paid_invoice_receipt(stack: LocalStackProcess) -> tuple[str, str]:
    """(path of a paid invoice's payment link, path of its receipt link) — paid with a test Visa."""
    number, pay_path = new_invoice(stack)
    with stack.client(headers=JSON) as http:
        page = http.get(pay_path).json()
        simulator = "{0.scheme}://{0.netloc}".format(urlsplit(page["hosted_fields_url"]))
        token = httpx.post(
            f"{simulator}/v1/tokens",
            json={
                "number": "4242424242424242",
                "exp_month": "12",
                "exp_year": "2031",
                "cvc": "123",
                "name": "Hardening",
            },
            timeout=30,
        ).json()["id"]
        paid = http.post(pay_path, json={"attempt_id": uuid.uuid4().hex, "card_token": token}, timeout=90)
        assert paid.status_code == 200, paid.text
    for message in mails_to(stack, f"pay.{number.lower()}@example.com"):
        found = re.search(r"https?://\S+?(/payments/receipts/[A-Za-z0-9._-]+)", message["text"] or "")
        if found:
            return pay_path, found.group(1)
    raise AssertionError(f"no receipt email for {number}")


def contact_links(stack: LocalStackProcess) -> tuple[str, str, str]:
    """(contact id, path of its unsubscribe link, path of its quote link), from a nurture email."""
    contact_id = f"hrd-{uuid.uuid4().hex[:12]}"
    with stack.client(headers=JSON) as crm:
        made = crm.put(
            f"/crm/contacts/{contact_id}",
            json={"name": f"Pat {contact_id}", "email": f"{contact_id}@example.com", "kind": "prospect"},
        )
        assert made.status_code < 300, made.text
        queued = crm.post("/crm/nurture-emails", json={"contact_id": contact_id, "campaign": "Nurture P2", "step": 1})
        assert queued.status_code == 202, queued.text
    (message,) = mails_to(stack, f"{contact_id}@example.com")
    unsubscribe = next(v for k, v in message["headers"] if k.lower() == "list-unsubscribe").strip("<>")
    quote = re.search(r'href="([^"]*/fn/QuoteFunction/\?token=[^"]+)"', message["html"])
    assert quote is not None
    return contact_id, local_path(unsubscribe), local_path(quote.group(1).replace("&amp;", "&"))


def tampered(path: str) -> str:
    """The same link with its signature's last characters changed."""
    return path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
