"""The Partners portal, locally: CRM console actions and demo data, all through the real /crm/ routes.

Demo data (``seed``): the demo partner (demo.partner@example.com, ZIP 10001) and a second partner
(ZIP 10002), both signing in with DEMO_PASSWORD at once (registered with a temporary password, then
given a permanent one as a partner would on first sign-in); proposals for the demo partner (sent,
with images; one not sent yet, so not visible to it), one for the second partner, one on a ZIP that
no partner holds (the uncovered-ZIP report). Images go in as the CRM sends them: a presigned POST
straight into the images bucket, then the thumbnail function (S3 notification).
"""

from __future__ import annotations

import logging
import struct
import time
import zlib
from typing import Any

from local.seed import crm_call

LOG = logging.getLogger("local.portals.partners")

DEMO_PASSWORD = "Partner-Demo-2026"  # noqa: S105 - a local demo login, printed on start
TEMPORARY_PASSWORD = "Temporary-Pass-2026"  # noqa: S105
DEMO_PARTNER = {
    "partner_id": "ptn-demo",
    "company_name": "Demo Paving Co",
    "contact_name": "Dee Partner",
    "email": "demo.partner@example.com",
    "phone": "+1 212 555 0140",
    "zip": "10001",
}
SECOND_PARTNER = {
    "partner_id": "ptn-second",
    "company_name": "Second Street Roofing",
    "contact_name": "Sam Second",
    "email": "second.partner@example.com",
    "zip": "10002",
}
UNCOVERED_ZIP = "99501"

PORTAL: dict[str, str] = {
    "name": "Partners portal",
    "url": "/partners/sign-in",
    "what": "external proposals routed by ZIP code, and RPHs sent to us (sign in as the demo partner)",
}


def _proposal(values: dict[str, str]) -> dict[str, Any]:
    return {
        "opportunity_name": values["opportunity_name"],
        "account_name": values["account_name"],
        "account_owner": values["account_owner"],
        "account_manager": {"name": values["manager_name"], "email": values["manager_email"]},
        "customer": {
            "name": values["customer_name"],
            "email": values["customer_email"] or None,
            "phone": values["customer_phone"] or None,
        },
        "property_address": {
            "street": values["street"],
            "city": values["city"],
            "state": values["state"],
            "zip": values["zip"],
        },
        "products": [
            {
                "product": line.split(";")[0].strip(),
                "quantity": line.split(";")[1].strip(),
                "unit_price": line.split(";")[2].strip(),
            }
            for line in values["products"].splitlines()
            if line.count(";") == 2
        ],
        "surveyor_notes": values["surveyor_notes"],
    }


CONSOLE_ACTIONS: list[dict[str, Any]] = [
    {
        "id": "partners-register",
        "portal": "Partners",
        "title": "Register a partner (one ZIP code; creates its portal user)",
        "method": "POST",
        "path": "/crm/partners",
        "fields": [
            {"name": "company_name", "label": "Company", "default": "New Partner LLC"},
            {"name": "email", "label": "Email (portal sign-in)", "default": "new.partner@example.com"},
            {"name": "zip", "label": "ZIP code", "default": "10003"},
            {"name": "temporary_password", "label": "Temporary password", "default": TEMPORARY_PASSWORD},
        ],
        "body": lambda v: {k: v[k].strip() for k in ("company_name", "email", "zip", "temporary_password")},
    },
    {
        "id": "partners-create-proposal",
        "portal": "Partners",
        "title": "Create an external proposal (routed to the partner of its ZIP)",
        "method": "POST",
        "path": "/crm/proposals",
        "fields": [
            {"name": "opportunity_name", "label": "Opportunity", "default": "Parking lot resurfacing"},
            {"name": "account_name", "label": "Account", "default": "Harbor View Condos"},
            {"name": "account_owner", "label": "Account owner", "default": "Dana Owner"},
            {"name": "manager_name", "label": "Account manager", "default": "Alex Manager"},
            {"name": "manager_email", "label": "Account manager email", "default": "alex.manager@example.com"},
            {"name": "customer_name", "label": "Customer", "default": "Harbor View HOA"},
            {"name": "customer_email", "label": "Customer email", "default": "board@harborview.example.com"},
            {"name": "customer_phone", "label": "Customer phone", "default": "+1 212 555 0188"},
            {"name": "street", "label": "Street", "default": "400 Harbor Road"},
            {"name": "city", "label": "City", "default": "New York"},
            {"name": "state", "label": "State", "default": "NY"},
            {"name": "zip", "label": "ZIP code (10001: the demo partner)", "default": "10001"},
            {
                "name": "products",
                "label": "Products (product; quantity; price per line)",
                "textarea": True,
                "default": "Asphalt overlay (sq ft); 12000; 2.10\nLine striping; 1; 900.00",
            },
            {
                "name": "surveyor_notes",
                "label": "Surveyor notes",
                "textarea": True,
                "default": "Alligator cracking across rows B-D.",
            },
        ],
        "body": _proposal,
    },
    {
        "id": "partners-send-proposal",
        "portal": "Partners",
        "title": "Mark a proposal reviewed and send it to its partner (email; only then visible)",
        "method": "POST",
        "path": "/crm/proposals/{proposal_id}/send",
        "fields": [
            {"name": "proposal_id", "label": "Proposal ID", "default": "EP-"},
            {"name": "reviewed_by", "label": "Account manager (reviewer)", "default": "alex.manager@example.com"},
        ],
        "body": lambda v: {"reviewed_by": v["reviewed_by"].strip()},
    },
    {
        "id": "partners-uncovered-zips",
        "portal": "Partners",
        "title": "Uncovered-ZIP report (unassigned proposals by ZIP code)",
        "method": "GET",
        "path": "/crm/reports/uncovered-zips",
        "fields": [],
        "body": None,
    },
]


# -- demo images: real PNGs (checked by their bytes and thumbnailed like any upload) -----------------
def png(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A vertical gradient PNG, made without an imaging library."""
    rows = []
    for y in range(height):
        t = y / max(height - 1, 1)
        pixel = bytes(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * width)
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def upload_image(stack: Any, proposal_id: str, data: bytes) -> str:
    """As the CRM does: a presigned POST from the portal, then the file straight to the bucket."""
    import requests  # the SAM CLI tools venv has it

    answer = crm_call(stack, "POST", f"/crm/proposals/{proposal_id}/images", {"content_type": "image/png"})
    response = requests.post(
        answer["url"],
        data=answer["fields"],
        files={"file": (f"{answer['image_id']}.png", data, "image/png")},
        timeout=30,
    )
    response.raise_for_status()
    return str(answer["image_id"])


def _register(stack: Any, partner: dict[str, str]) -> dict[str, Any]:
    made = crm_call(stack, "POST", "/crm/partners", {**partner, "temporary_password": TEMPORARY_PASSWORD})
    # the demo logins work at once: the partner has "chosen" its password on a first sign-in
    pool_id = stack.stack_info()["outputs"]["PartnersUserPoolId"]
    stack.client("cognito-idp").admin_set_user_password(
        UserPoolId=pool_id, Username=partner["email"], Password=DEMO_PASSWORD, Permanent=True
    )
    return dict(made)


DEMO_PROPOSALS: list[dict[str, Any]] = [
    {
        "opportunity_name": "Driveway repaving",
        "account_name": "Smith Family Trust",
        "account_owner": "Dana Owner",
        "zip": "10001",
        "send": True,
        "images": 3,
    },
    {
        "opportunity_name": "Parking lot resurfacing",
        "account_name": "Harbor View Condos",
        "account_owner": "Sam Keeper",
        "zip": "10001",
        "send": True,
        "images": 1,
    },
    {
        "opportunity_name": "Sidewalk replacement",
        "account_name": "Elm Street Bakery",
        "account_owner": "Dana Owner",
        "zip": "10001",
        "send": True,
        "images": 0,
    },
    {
        "opportunity_name": "Patio pavers",
        "account_name": "Greenwood Residence",
        "account_owner": "Lee Holder",
        "zip": "10001",
        "send": False,
        "images": 0,
    },
    {
        "opportunity_name": "Roof gutter repair",
        "account_name": "Second Avenue Lofts",
        "account_owner": "Dana Owner",
        "zip": "10002",
        "send": True,
        "images": 1,
    },
    {
        "opportunity_name": "Seawall inspection",
        "account_name": "Anchorage Marina",
        "account_owner": "Sam Keeper",
        "zip": UNCOVERED_ZIP,
        "send": False,
        "images": 0,
    },
]
COLOURS = [((70, 70, 80), (150, 140, 120)), ((90, 110, 130), (200, 190, 170)), ((60, 90, 60), (170, 160, 140))]


def _proposal_body(spec: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "proposal_id": f"EP-DEMO-{n + 1:03d}",
        "opportunity_name": spec["opportunity_name"],
        "account_name": spec["account_name"],
        "account_owner": spec["account_owner"],
        "account_manager": {"name": "Alex Manager", "email": "alex.manager@example.com"},
        "customer": {"name": spec["account_name"], "email": "owner@example.com", "phone": "+1 212 555 0100"},
        "contact": {"name": "Jordan Site", "phone": "+1 212 555 0111"},
        "property_address": {"street": f"{12 + n} Elm Street", "city": "New York", "state": "NY", "zip": spec["zip"]},
        "products": [
            {"product": "Asphalt paving (sq ft)", "quantity": str(400 + 50 * n), "unit_price": "4.25"},
            {"product": "Crack sealing", "quantity": "1", "unit_price": "350.00"},
        ],
        "surveyor_notes": "Potholes near the entrance; water pools after rain. Access from the side gate.",
    }


def seed(stack: Any) -> dict[str, Any]:
    demo = _register(stack, DEMO_PARTNER)
    second = _register(stack, SECOND_PARTNER)
    LOG.info(
        "partners registered: %s (ZIP %s), %s (ZIP %s)",
        demo["partner_id"],
        demo["zip"],
        second["partner_id"],
        second["zip"],
    )
    images = 0
    for n, spec in enumerate(DEMO_PROPOSALS):
        proposal = crm_call(stack, "POST", "/crm/proposals", _proposal_body(spec, n))
        for i in range(spec["images"]):
            top, bottom = COLOURS[(n + i) % len(COLOURS)]
            upload_image(stack, proposal["proposal_id"], png(640, 480, top, bottom))
            images += 1
        if spec["send"]:
            crm_call(
                stack,
                "POST",
                f"/crm/proposals/{proposal['proposal_id']}/send",
                {"reviewed_by": "alex.manager@example.com"},
            )
    _wait_for_thumbnails(stack, images)
    return {
        "logins": [
            {
                "portal": "partners",
                "email": DEMO_PARTNER["email"],
                "password": DEMO_PASSWORD,
                "note": f"ZIP {DEMO_PARTNER['zip']}: 3 proposals sent, 1 not yet",
            },
            {
                "portal": "partners",
                "email": SECOND_PARTNER["email"],
                "password": DEMO_PASSWORD,
                "note": f"ZIP {SECOND_PARTNER['zip']}: 1 proposal",
            },
        ],
        "links": [
            {"title": "Partners portal: sign in", "url": f"{stack.gateway_url}/partners/sign-in"},
            {"title": "Uncovered-ZIP report (CRM route)", "url": f"{stack.gateway_url}/crm/reports/uncovered-zips"},
        ],
    }


def _wait_for_thumbnails(stack: Any, expected: int, timeout: float = 60) -> None:
    """The demo is ready when every demo image is checked and recorded (S3 -> thumbnail function)."""
    ddb = stack.client("dynamodb")
    table = stack.stack_info()["refs"]["ProposalsTable"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = 0
        for n, spec in enumerate(DEMO_PROPOSALS):
            if spec["images"]:
                answer = ddb.query(
                    TableName=table,
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :img)",
                    ExpressionAttributeValues={":pk": {"S": f"PROPOSAL#EP-DEMO-{n + 1:03d}"}, ":img": {"S": "IMAGE#"}},
                    Select="COUNT",
                )
                found += int(answer["Count"])
        if found >= expected:
            return
        time.sleep(0.3)
    LOG.warning("demo images: thumbnails still missing after %.0fs", timeout)
