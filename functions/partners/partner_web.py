"""What every Partners-portal handler needs from a request: who calls, where from, how to answer
(the shared parts live in portal_common.web; this module names them for the portal)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from portal_common.events import EXTERNAL_USER, Actor
from portal_common.web.answers import json_answer
from portal_common.web.identity import Identity, crm_actor, request_actor, signed_in_as
from portal_common.web.negotiation import origin as request_origin

__all__ = ["EXTERNAL_USER", "crm_actor", "json_answer", "origin", "partner_actor", "signed_in_partner"]


def signed_in_partner(app: APIGatewayHttpResolver) -> Identity:
    """The partner the authorizer let in (PartnerSession); anyone else is refused."""
    return signed_in_as(app, "partner", "This page is for partners.")


def partner_actor(app: APIGatewayHttpResolver, identity: Identity) -> Actor:
    return request_actor(app, "partner", identity.subject_id, label=EXTERNAL_USER)


def origin(app: APIGatewayHttpResolver) -> str:
    return request_origin(app.current_event)
