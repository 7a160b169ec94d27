"""What every Leadworks handler needs from a request: who calls, where from, how to answer
(the shared parts live in portal_common.web; this module names them for the portal)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from portal_common.events import EXTERNAL_USER, Actor
from portal_common.web.answers import json_answer
from portal_common.web.identity import Identity, crm_actor, request_actor, signed_in_as
from portal_common.web.negotiation import origin as request_origin

__all__ = ["EXTERNAL_USER", "advertiser_actor", "crm_actor", "json_answer", "origin", "signed_in_advertiser"]


def signed_in_advertiser(app: APIGatewayHttpResolver) -> Identity:
    """The advertiser the authorizer let in (AdvertiserSession); anyone else is refused."""
    return signed_in_as(app, "advertiser", "This page is for advertisers.")


def advertiser_actor(app: APIGatewayHttpResolver, identity: Identity) -> Actor:
    return request_actor(app, "advertiser", identity.subject_id, label=EXTERNAL_USER)


def origin(app: APIGatewayHttpResolver) -> str:
    return request_origin(app.current_event)
