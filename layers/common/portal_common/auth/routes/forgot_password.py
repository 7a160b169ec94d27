"""GET/POST /<portal>/forgot-password (ask for a code), GET/POST /<portal>/forgot-password/confirm
(the code and a new password). Then the sign-in page, with a notice."""

from __future__ import annotations

from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.auth import password_reset
from portal_common.auth.forms import ForgotPasswordForm, ResetPasswordForm
from portal_common.auth.passwords import PASSWORD_RULES
from portal_common.auth.portals import PortalAuth
from portal_common.auth.routes.rendering import (
    answer_refusals,
    auth_page,
    invalid_form,
    json_answer,
    use_auth_templates,
)
from portal_common.web import openapi_docs as docs
from portal_common.web.forms import read_form, validate
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

ASK = "auth/forgot_password.html"
CONFIRM = "auth/reset_password.html"


def register(app: APIGatewayHttpResolver, portal: PortalAuth) -> None:
    use_auth_templates()
    answer_refusals(app, portal, CONFIRM)

    @app.get(portal.url("forgot-password"), responses=docs.page("The form to ask for a code"))
    def forgot_password_page() -> Response[str]:
        return auth_page(app, portal, ASK)

    @app.post(
        portal.url("forgot-password"),
        responses=docs.form_post(then="Code sent: on to the form to enter it"),
        openapi_extensions=docs.form_body(ForgotPasswordForm),
    )
    def forgot_password() -> Response[str]:
        fields = read_form(app)
        form, errors = validate(ForgotPasswordForm, fields)
        if form is None:
            return invalid_form(app, portal, ASK, errors, email=fields.get("email", ""))
        password_reset.send_code(portal, form.email)
        url = portal.url("forgot-password/confirm") + "?" + urlencode({"email": form.email})
        if wants_json(app.current_event):
            return json_answer({"code_sent": True, "next_step": "confirm", "url": url})
        return redirect(url)

    @app.get(
        portal.url("forgot-password/confirm"),
        responses=docs.page("The form to enter the code and a new password"),
    )
    def reset_password_page() -> Response[str]:
        email = app.current_event.get_query_string_value("email") or ""
        return auth_page(app, portal, CONFIRM, email=email[:254], rules=PASSWORD_RULES)

    @app.post(
        portal.url("forgot-password/confirm"),
        responses=docs.form_post(then="Password changed: on to the sign-in page"),
        openapi_extensions=docs.form_body(ResetPasswordForm),
    )
    def reset_password() -> Response[str]:
        fields = read_form(app)
        form, errors = validate(ResetPasswordForm, fields)
        if form is None:
            return invalid_form(app, portal, CONFIRM, errors, email=fields.get("email", ""), rules=PASSWORD_RULES)
        password_reset.choose_new_password(portal, form.email, form.code, form.new_password)
        if wants_json(app.current_event):
            return json_answer({"password_changed": True, "next_step": "sign_in", "url": portal.url("sign-in")})
        return redirect(portal.url("sign-in") + "?notice=password-changed")
