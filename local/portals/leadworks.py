"""Leadworks on the local stack: the demo advertiser, the company's mail archive, a demo lead.

- The demo advertiser (demo.advertiser@example.com) is registered through the real CRM route
  (POST /crm/advertisers), then given a permanent password, as if it had signed in once.
- The mail archive: in AWS, SES inbound writes every received message to MailArchiveBucket
  (template: MailArchiveRule). Locally there is no SES inbound, so the seed puts sample .eml files
  there; the bucket's S3 notification (through the local bridge queue) runs the indexer on each.
  To archive more by hand: put a raw message under ``inbound/`` in the bucket (its name is in
  /_local/stack.json), e.g. ``aws --endpoint-url http://127.0.0.1:5000 s3 cp msg.eml s3://<bucket>/inbound/msg1``.
- A demo lead for jordan.prospect@example.com (three archived emails get attached); the prospect
  casey.homeowner@example.com has two archived emails and no lead yet: create one to see them
  attached.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from local.seed import crm_call

LOG = logging.getLogger("local.portals.leadworks")

DEMO_ADVERTISER_ID = "A-DEMO"
DEMO_EMAIL = "demo.advertiser@example.com"
DEMO_PASSWORD = "Portal-Demo-2026"  # noqa: S105 - a local demo login, printed on start
COMPANY_MAILBOX = "sales@northfield.example"

PORTAL: dict[str, str] = {
    "name": "Leadworks",
    "url": "/leadworks/sign-in",
    "what": (
        "advertisers create leads (one per email address) or upload a CSV of them; archived emails "
        "with the prospect are attached — try a lead for casey.homeowner@example.com"
    ),
}


def _registration(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "company_name": values["company_name"].strip(),
        "contact_name": values["contact_name"].strip(),
        "email": values["email"].strip(),
    }
    for name in ("advertiser_id", "temporary_password", "access_start", "access_end"):
        if values.get(name, "").strip():
            body[name] = values[name].strip()
    return body


CONSOLE_ACTIONS: list[dict[str, Any]] = [
    {
        "id": "leadworks-register-advertiser",
        "portal": "Leadworks",
        "title": "Register an advertiser (creates its Leadworks sign-in)",
        "method": "POST",
        "path": "/crm/advertisers",
        "fields": [
            {"name": "advertiser_id", "label": "Advertiser id (optional: made up if empty)", "default": "A-CONSOLE-1"},
            {"name": "company_name", "label": "Company name", "default": "Console Ads LLC"},
            {"name": "contact_name", "label": "Contact person", "default": "Robin Console"},
            {"name": "email", "label": "Sign-in email", "default": "robin.console@example.com"},
            {
                "name": "temporary_password",
                "label": "Temporary password (first sign-in)",
                "default": "Welcome-2026-Ads",
            },
            {"name": "access_start", "label": "Access from (YYYY-MM-DD, optional)", "default": ""},
            {"name": "access_end", "label": "Access until (YYYY-MM-DD, optional)", "default": ""},
        ],
        "body": _registration,
    },
    {
        "id": "leadworks-deactivate-advertiser",
        "portal": "Leadworks",
        "title": "Deactivate an advertiser (no more sign-in; its leads stay)",
        "method": "POST",
        "path": "/crm/advertisers/{advertiser_id}/deactivate",
        "fields": [{"name": "advertiser_id", "label": "Advertiser id", "default": "A-CONSOLE-1"}],
        "body": None,
    },
]


# -- the mail archive ---------------------------------------------------------------------------------
def sample_message(sender: str, to: str, subject: str, body: str, sent: datetime, cc: str | None = None) -> bytes:
    """A message as SES inbound archives it (raw MIME with the receiving server's Received header)."""
    msg = EmailMessage()
    msg["Received"] = f"from mail.example.net by inbound-smtp.us-east-1.amazonaws.com; {format_datetime(sent)}"
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = make_msgid(domain="mail.example.net")
    msg.set_content(body)
    return msg.as_bytes()


def demo_archive(now: datetime) -> dict[str, bytes]:
    """Key under inbound/ -> message: the company's earlier mail with two demo prospects."""
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    jordan, casey = "Jordan Prospect <jordan.prospect@example.com>", "Casey Homeowner <casey.homeowner@example.com>"
    return {
        "inbound/demo-jordan-1": sample_message(
            jordan,
            COMPANY_MAILBOX,
            "Driveway repaving quote?",
            "Hi, our driveway is badly cracked. Could someone come and look at it?",
            days(40),
        ),
        "inbound/demo-jordan-2": sample_message(
            f"Northfield Sales <{COMPANY_MAILBOX}>",
            jordan,
            "Re: Driveway repaving quote?",
            "Thanks Jordan, a surveyor can visit next week. Which day suits you?",
            days(39),
        ),
        "inbound/demo-jordan-3": sample_message(
            jordan,
            COMPANY_MAILBOX,
            "Re: Re: Driveway repaving quote?",
            "Tuesday morning works. The gate code is 1234.",
            days(38),
            cc="ops@northfield.example",
        ),
        "inbound/demo-casey-1": sample_message(
            casey,
            COMPANY_MAILBOX,
            "Gutters overflowing",
            "Our gutters overflow at every storm. Do you clean and repair them?",
            days(12),
        ),
        "inbound/demo-casey-2": sample_message(
            f"Northfield Sales <{COMPANY_MAILBOX}>",
            casey,
            "Re: Gutters overflowing",
            "We do both. Could you send a photo of the worst section?",
            days(11),
        ),
    }


def archive_messages(stack: Any, messages: dict[str, bytes]) -> None:
    bucket = stack.stack_info()["outputs"]["MailArchiveBucketName"]
    s3 = stack.client("s3")
    for key, raw in messages.items():
        s3.put_object(Bucket=bucket, Key=key, Body=raw, ContentType="message/rfc822")


# -- the demo advertiser and its lead -------------------------------------------------------------
def _post_json(url: str, body: dict[str, Any], cookie: str | None = None) -> tuple[dict[str, Any], list[str]]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the local gateway
        return json.loads(answer.read() or b"{}"), answer.headers.get_all("Set-Cookie") or []


def demo_lead(stack: Any) -> None:
    """Sign in as the demo advertiser (JSON) and create the lead of the first demo prospect."""
    _, cookies = _post_json(f"{stack.gateway_url}/leadworks/sign-in", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    session = "; ".join(c.split(";", 1)[0] for c in cookies)
    lead = {
        "customer_name": "Jordan Prospect",
        "email": "jordan.prospect@example.com",
        "phone": "555-010-4477",
        "street": "48 Birch Lane",
        "city": "Springfield",
        "state": "IL",
        "zip": "62704",
        "problem_description": "Cracked driveway, about 60 ft; asked for a repaving quote by email.",
    }
    _post_json(f"{stack.gateway_url}/leadworks/leads", lead, cookie=session)


def seed(stack: Any) -> dict[str, Any]:
    crm_call(
        stack,
        "POST",
        "/crm/advertisers",
        {
            "advertiser_id": DEMO_ADVERTISER_ID,
            "company_name": "Demo Advertising Co",
            "contact_name": "Dana Demo",
            "email": DEMO_EMAIL,
            "temporary_password": DEMO_PASSWORD,
        },
    )
    pool_id = stack.stack_info()["outputs"]["AdvertisersUserPoolId"]
    # as if the advertiser had signed in once and kept its password
    stack.client("cognito-idp").admin_set_user_password(
        UserPoolId=pool_id, Username=DEMO_EMAIL, Password=DEMO_PASSWORD, Permanent=True
    )
    archive_messages(stack, demo_archive(datetime.now(UTC)))
    try:
        demo_lead(stack)
    except Exception:  # the demo lead is a nicety: the stack is usable without it
        LOG.exception("could not create the demo lead")
    return {
        "logins": [
            {"portal": "leadworks", "email": DEMO_EMAIL, "password": DEMO_PASSWORD, "note": "(demo advertiser)"}
        ],
        "links": [{"title": "Leadworks: the demo advertiser's leads", "url": f"{stack.gateway_url}/leadworks/leads"}],
    }
