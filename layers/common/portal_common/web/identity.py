"""Who is calling: the signed-in identity the authorizer passed on, and the actor for CRM events."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

from portal_common.errors import Forbidden, Unauthorized
from portal_common.events import Actor, ActorKind
from portal_common.web.negotiation import header

SIGNED_OUT = {"signed_in": "no"}  # the authorizer's context for a caller it passed on signed out


class SignedOut(Unauthorized):
    """The portal's authorizer passed this request on without a valid session (none, ended, forged
    or of the other portal). Browsers asking for a page are sent to ``sign_in``; the others get 401."""

    def __init__(self, sign_in: str) -> None:
        super().__init__("Please sign in.", next_step=f"Sign in at {sign_in}, then try again.")
        self.sign_in = sign_in


def refuse_signed_out(event: dict[str, Any]) -> None:
    """Raise SignedOut when the portal's authorizer marked this request signed out. Run by the
    portal's resolvers before any route (portal_common.web.app), so no route sees such a caller."""
    values = ((event.get("requestContext") or {}).get("authorizer") or {}).get("lambda") or {}
    if values.get("signed_in") == SIGNED_OUT["signed_in"]:
        raise SignedOut(str(values.get("sign_in") or "/"))


class Identity(BaseModel):
    """Set by the portal's Lambda authorizer (requestContext.authorizer.lambda)."""

    kind: ActorKind
    subject_id: str  # partner id or advertiser id: what the caller owns
    user_sub: str
    email: str
    session_id: str


def current_identity(app: APIGatewayHttpResolver) -> Identity:
    context = (app.current_event.get("requestContext") or {}).get("authorizer") or {}
    values = context.get("lambda") or {}
    try:
        return Identity.model_validate(values)
    except ValueError:
        # only reachable when a route was deployed without its authorizer: fail closed
        raise Unauthorized("Please sign in.") from None


def request_actor(
    app: APIGatewayHttpResolver, kind: ActorKind, actor_id: str | None, label: str | None = None
) -> Actor:
    event = app.current_event
    http = ((event.get("requestContext") or {}).get("http")) or {}
    return Actor(
        kind=kind,
        id=actor_id,
        label=label,
        source_ip=http.get("sourceIp"),
        user_agent=(http.get("userAgent") or header(event, "user-agent"))[:300] or None,
    )


def signed_in_as(app: APIGatewayHttpResolver, kind: ActorKind, refusal: str) -> Identity:
    """The caller the portal's authorizer let in, if of this kind; anyone else is refused."""
    identity = current_identity(app)
    if identity.kind != kind:
        raise Forbidden(refusal)
    return identity


def crm_actor(app: APIGatewayHttpResolver) -> Actor:
    """The CRM calling a /crm/ route (IAM-signed in AWS): the caller's ARN when the API passes it."""
    context = app.current_event.get("requestContext") or {}
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return request_actor(app, "crm", iam.get("userArn") or iam.get("userId") or "crm")
