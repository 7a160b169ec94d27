"""What every Partners-portal handler needs from a request: who calls, where from, how to answer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from pydantic import BaseModel
from pydantic_core import to_json

from portal_common.errors import Forbidden
from portal_common.events import Actor
from portal_common.web.identity import Identity, current_identity, request_actor
from portal_common.web.negotiation import header

EXTERNAL_USER = "external user"


def signed_in_partner(app: APIGatewayHttpResolver) -> Identity:
    """The partner the authorizer let in (PartnerSession); anyone else is refused."""
    identity = current_identity(app)
    if identity.kind != "partner":
        raise Forbidden("This page is for partners.")
    return identity


def partner_actor(app: APIGatewayHttpResolver, identity: Identity) -> Actor:
    return request_actor(app, "partner", identity.subject_id, label=EXTERNAL_USER)


def crm_actor(app: APIGatewayHttpResolver) -> Actor:
    """The CRM calling a /crm/ route (IAM-signed in AWS): the caller's ARN when the API passes it."""
    context = app.current_event.get("requestContext") or {}
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return request_actor(app, "crm", iam.get("userArn") or iam.get("userId") or "crm")


def origin(app: APIGatewayHttpResolver) -> str:
    """scheme://host the caller reached us at (links in emails point back to the same API)."""
    event = app.current_event
    host = header(event, "host") or (event.get("requestContext") or {}).get("domainName")
    scheme = header(event, "x-forwarded-proto") or "https"
    return f"{scheme}://{host}"


def json_answer(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> Response:
    body = model.model_dump_json() if isinstance(model, BaseModel) else to_json(model).decode()
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )
