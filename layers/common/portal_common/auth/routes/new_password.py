"""GET/POST /<portal>/new-password: the first sign-in, when the account still has the temporary
password it was created with. The Cognito challenge waits in the __Host-<portal>-challenge cookie."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.auth import signin
from portal_common.auth.cookies import challenge_name
from portal_common.auth.forms import NewPasswordForm
from portal_common.auth.passwords import PASSWORD_RULES
from portal_common.auth.portals import PortalAuth
from portal_common.auth.routes.rendering import answer_refusals, auth_page, invalid_form, use_auth_templates
from portal_common.auth.routes.sign_in import signed_in_answer
from portal_common.web import openapi_docs as docs
from portal_common.web.forms import cookie, read_form, validate
from portal_common.web.identity import request_actor

TEMPLATE = "auth/new_password.html"


def register(app: APIGatewayHttpResolver, portal: PortalAuth) -> None:
    use_auth_templates()
    answer_refusals(app, portal, TEMPLATE)

    @app.get(portal.url("new-password"), responses=docs.page("The form to choose a password"))
    def new_password_page() -> Response[str]:
        _challenge, email = signin.open_challenge(cookie(app, challenge_name(portal.portal)))
        return auth_page(app, portal, TEMPLATE, email=email, rules=PASSWORD_RULES)

    @app.post(
        portal.url("new-password"),
        responses=docs.form_post(then="Signed in: on to the portal"),
        openapi_extensions=docs.form_body(NewPasswordForm),
    )
    def new_password() -> Response[str]:
        form, errors = validate(NewPasswordForm, read_form(app))
        if form is None:
            return invalid_form(app, portal, TEMPLATE, errors, rules=PASSWORD_RULES)
        client = request_actor(app, "anonymous", None)
        outcome = signin.complete_new_password(
            portal, cookie(app, challenge_name(portal.portal)), form.new_password, client
        )
        return signed_in_answer(app, portal, outcome)
