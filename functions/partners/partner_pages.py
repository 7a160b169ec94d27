"""Pages of the signed-in partner: the portal layout (templates/portal.html) with who is signed in,
the sign-out button and the CSRF token of the page's forms (portal_common.auth.signed_in), and
reading form posts checked against that token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from partner_web import json_answer
from pydantic import BaseModel

from portal_common.auth.signed_in import signed_in_page
from portal_common.web.forms import read_form
from portal_common.web.identity import Identity
from portal_common.web.negotiation import wants_json


def partner_page(app: APIGatewayHttpResolver, template: str, status: int = 200, **context: Any) -> Response:
    return signed_in_page(app, template, status, **context)


def answer(app: APIGatewayHttpResolver, template: str, model: BaseModel, status: int = 200, **context: Any) -> Response:
    """The same route for browsers (a page) and API clients that ask for JSON (the model)."""
    if wants_json(app.current_event):
        return json_answer(model, status)
    return partner_page(app, template, status, **context)


def posted(app: APIGatewayHttpResolver, identity: Identity) -> dict[str, str]:
    """The fields of a form post whose CSRF token holds for this sign-in (403 otherwise), or JSON."""
    return read_form(app, binding=identity.session_id)
