"""Test data of the Partners portal: API Gateway events as the routes receive them, proposal and
partner bodies with unique ids, and small real images."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any
from urllib.parse import urlencode


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def unique_zip() -> str:
    return f"{uuid.uuid4().int % 100000:05d}"


def partner_identity(partner_id: str, email: str | None = None, session_id: str = "session-test") -> dict[str, str]:
    return {
        "kind": "partner",
        "subject_id": partner_id,
        "user_sub": f"sub-{partner_id}",
        "email": email or f"{partner_id}@example.com",
        "session_id": session_id,
    }


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    identity: dict[str, str] | None = None,
    iam: bool = False,
    accept: str = "application/json",
    cookies: list[str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload-v2 event, as API Gateway (and the local stack) hand it to the function."""
    headers = {"accept": accept, "host": "portal.example.com", "x-forwarded-proto": "https", "user-agent": "pytest"}
    raw_body = None
    if body is not None:
        headers["content-type"] = "application/json"
        raw_body = json.dumps(body)
    elif form is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
        raw_body = urlencode(form)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "test",
        "domainName": "portal.example.com",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "198.51.100.7",
            "userAgent": "pytest",
        },
        "requestId": unique("req-"),
        "routeKey": f"{method} {route or path}",
        "stage": "$default",
        "time": "22/Nov/2026:10:00:00 +0000",
        "timeEpoch": 1795346400000,
    }
    if identity is not None:
        context["authorizer"] = {"lambda": identity}
    if iam:
        context["authorizer"] = {"iam": {"userArn": "arn:aws:iam::123456789012:role/crm"}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if raw_body is not None:
        event["body"] = raw_body
    if cookies:
        event["cookies"] = cookies
    return event


def proposal_body(zip_code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "opportunity_name": "Driveway repaving",
        "account_name": "Smith Family Trust",
        "account_owner": "Dana Owner",
        "account_manager": {"name": "Alex Manager", "email": "alex.manager@example.com"},
        "customer": {"name": "John Smith", "email": "john.smith@example.com", "phone": "+1 212 555 0100"},
        "contact": {"name": "Mary Smith", "phone": "+1 212 555 0101"},
        "property_address": {"street": "12 Elm Street", "city": "Springfield", "state": "NY", "zip": zip_code},
        "products": [
            {"product": "Asphalt paving (sq ft)", "quantity": "850", "unit_price": "4.25"},
            {"product": "Crack sealing", "quantity": "1", "unit_price": "350.00"},
        ],
        "surveyor_notes": "Large potholes near the garage.",
    }
    body.update(overrides)
    return body


def partner_body(zip_code: str, **overrides: Any) -> dict[str, Any]:
    partner_id = overrides.pop("partner_id", unique("ptn-"))
    body = {
        "partner_id": partner_id,
        "company_name": f"Paving {partner_id}",
        "contact_name": "Pat Partner",
        "email": f"{partner_id}@example.com",
        "zip": zip_code,
        "temporary_password": "Temporary-Pass1",
    }
    body.update(overrides)
    return body


def jpeg_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()
