"""GET /<portal>/ (and /<portal>): the portal's home page, behind the portal's authorizer. Renders the
portal's own ``home.html``; API clients get who they are signed in as."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.auth.portals import PortalAuth
from portal_common.auth.routes.rendering import json_answer
from portal_common.auth.signed_in import signed_in_page
from portal_common.web import openapi_docs as docs
from portal_common.web.identity import current_identity
from portal_common.web.negotiation import wants_json


def register(app: APIGatewayHttpResolver, portal: PortalAuth) -> None:
    @app.get(portal.home, responses=docs.page_or_json(description="The home page; API clients get who they are"))
    def home() -> Response[str]:
        if wants_json(app.current_event):
            return json_answer({"signed_in_as": current_identity(app).model_dump(exclude={"session_id"})})
        return signed_in_page(app, "home.html", title="Home", portal=portal)
