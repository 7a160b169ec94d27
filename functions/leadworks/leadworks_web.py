"""What every Leadworks handler needs from a request: who calls, where from, how to answer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from pydantic import BaseModel, TypeAdapter

from portal_common.errors import Forbidden
from portal_common.events import Actor
from portal_common.web.identity import Identity, current_identity, request_actor
from portal_common.web.negotiation import header

EXTERNAL_USER = "external user"


def signed_in_advertiser(app: APIGatewayHttpResolver) -> Identity:
    """The advertiser the authorizer let in (AdvertiserSession); anyone else is refused."""
    identity = current_identity(app)
    if identity.kind != "advertiser":
        raise Forbidden("This page is for advertisers.")
    return identity


def advertiser_actor(app: APIGatewayHttpResolver, identity: Identity) -> Actor:
    return request_actor(app, "advertiser", identity.subject_id, label=EXTERNAL_USER)


def crm_actor(app: APIGatewayHttpResolver) -> Actor:
    """The CRM calling a /crm/ route (IAM-signed in AWS): the caller's ARN when the API passes it."""
    context = app.current_event.get("requestContext") or {}
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return request_actor(app, "crm", iam.get("userArn") or iam.get("userId") or "crm")


def origin(app: APIGatewayHttpResolver) -> str:
    """scheme://host the caller reached us at (S3 sends the browser back here after a photo upload)."""
    event = app.current_event
    host = (event.get("requestContext") or {}).get("domainName") or header(event, "host")
    scheme = header(event, "x-forwarded-proto") or "https"
    return f"{scheme}://{host}"


def json_answer(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> Response[str]:
    body = (
        model.model_dump_json() if isinstance(model, BaseModel) else TypeAdapter(type(model)).dump_json(model).decode()
    )
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )
