"""Pages behind a portal's authorizer: who is signed in, and the CSRF token of their forms.

    return signed_in_page(app, "proposals.html", proposals=...)

The portal's layout (functions/<portal>/templates/portal.html) shows "Signed in as <email>" and the
sign-out button from ``identity`` and ``csrf_token``; every form of the page posts ``csrf_token``
(bound to the session, so a token from another session does not pass ``read_form(app,
binding=identity.session_id)``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.web.forms import issue_csrf
from portal_common.web.identity import current_identity
from portal_common.web.pages import page


def signed_in_page(app: APIGatewayHttpResolver, template: str, status: int = 200, **context: Any) -> Response[str]:
    identity = current_identity(app)
    token, csrf_cookie = issue_csrf(app, identity.session_id)
    return page(
        template,
        status,
        cookies=[csrf_cookie] if csrf_cookie else [],
        identity=identity,
        csrf_token=token,
        **context,
    )
