"""POST /<portal>/sign-out: public (an expired session can still sign out), CSRF-checked against
the session the cookie names. Ends the session, forgets the cookie, back to the sign-in page."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.auth import signout
from portal_common.auth.cookies import forget_session, session_name
from portal_common.auth.portals import PortalAuth
from portal_common.auth.routes.rendering import json_answer, use_auth_templates
from portal_common.web import csrf
from portal_common.web import openapi_docs as docs
from portal_common.web.forms import cookie, read_form
from portal_common.web.identity import request_actor
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect


def register(app: APIGatewayHttpResolver, portal: PortalAuth) -> None:
    use_auth_templates()

    @app.post(
        portal.url("sign-out"),
        responses=docs.form_post(then="Signed out: on to the sign-in page"),
        openapi_extensions=docs.form_body(docs.NO_FIELDS),
    )
    def sign_out() -> Response[str]:
        session_id = signout.session_of(portal, cookie(app, session_name(portal.portal)))
        read_form(app, binding=session_id or csrf.ANONYMOUS)
        signout.sign_out(portal, session_id, request_actor(app, "anonymous", None))
        if wants_json(app.current_event):
            return json_answer({"signed_out": True}, [forget_session(portal.portal)])
        return redirect(portal.url("sign-in") + "?notice=signed-out", cookies=[forget_session(portal.portal)])
