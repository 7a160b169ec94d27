"""Reading requests: form posts (urlencoded) and JSON bodies, with size and type limits.

``read_form`` also checks the CSRF token of every form post; ``validate`` turns a pydantic
ValidationError into {field: message} so a page can show each error beside its field.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.shared.cookies import Cookie
from pydantic import BaseModel, ValidationError

from portal_common.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from portal_common.web import csrf
from portal_common.web.cookies import read_cookie
from portal_common.web.errors import field_errors_of
from portal_common.web.negotiation import header
from portal_common.web.request_guard import parse_json, raw_body

MAX_FORM_BYTES = 256 * 1024
ModelT = TypeVar("ModelT", bound=BaseModel)


def body_bytes(app: APIGatewayHttpResolver, limit: int = MAX_FORM_BYTES) -> bytes:
    # the bytes as sent: Powertools' decoded_body would fail on a base64 body that is not UTF-8
    data = raw_body(app.current_event)
    if len(data) > limit:
        raise PayloadTooLarge(f"The request is larger than {limit // 1024} KB.")
    return data


def cookie(app: APIGatewayHttpResolver, name: str) -> str | None:
    event = app.current_event
    return read_cookie(event.get("cookies"), header(event, "cookie"), name)


def issue_csrf(app: APIGatewayHttpResolver, binding: str = csrf.ANONYMOUS) -> tuple[str, Cookie | None]:
    """The CSRF token for the page's forms, and the cookie to set with it (None: the current one holds)."""
    name = csrf.cookie_name(app.current_event.path)
    return csrf.issue(cookie(app, name), binding, name)


def check_csrf(app: APIGatewayHttpResolver, submitted: str | None, binding: str = csrf.ANONYMOUS) -> None:
    """CsrfRejected unless ``submitted`` is this part of the site's CSRF cookie, valid for ``binding``."""
    csrf.verify(cookie(app, csrf.cookie_name(app.current_event.path)), submitted, binding)


def is_json(app: APIGatewayHttpResolver) -> bool:
    return "application/json" in header(app.current_event, "content-type").lower()


def read_json(app: APIGatewayHttpResolver, limit: int = MAX_FORM_BYTES) -> dict[str, Any]:
    doc = parse_json(body_bytes(app, limit) or b"{}")
    if not isinstance(doc, dict):
        raise BadRequest("The request body must be a JSON object.")
    return doc


def read_form(
    app: APIGatewayHttpResolver, *, binding: str = csrf.ANONYMOUS, limit: int = MAX_FORM_BYTES
) -> dict[str, str]:
    """The submitted fields (a form post with a valid CSRF token, or a JSON object)."""
    if is_json(app):
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in read_json(app, limit).items()}
    ctype = header(app.current_event, "content-type").lower()
    if "application/x-www-form-urlencoded" not in ctype:
        raise UnsupportedMediaType("Send the form as application/x-www-form-urlencoded or JSON.")
    try:
        pairs = parse_qsl(
            body_bytes(app, limit).decode("utf-8"), keep_blank_values=True, max_num_fields=200, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The form could not be read.") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:  # no form of ours repeats a field: a second value is tampering, not a choice
            raise BadRequest("The form sent a field twice. Please reload the page and try again.")
        fields[key] = value
    check_csrf(app, fields.pop(csrf.FIELD, None), binding)
    return fields


def validate(model: type[ModelT], data: dict[str, Any]) -> tuple[ModelT | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors_of(exc.errors(include_input=False))  # type: ignore[arg-type]
