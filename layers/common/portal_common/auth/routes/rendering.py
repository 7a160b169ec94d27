"""What every sign-in page shares: its CSRF token, its notices, how a refusal is answered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.shared.cookies import Cookie

from portal_common.auth.errors import SignInRefused
from portal_common.auth.portals import PortalAuth
from portal_common.errors import ValidationFailed
from portal_common.web.errors import error_answer
from portal_common.web.forms import issue_csrf
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import add_template_dir, page

AUTH_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# ?notice=<key> on the sign-in page: fixed texts only (nothing from the URL is shown)
NOTICES = {
    "signed-out": "You have signed out.",
    "password-changed": "Your password has been changed. Sign in with your new password.",
}


def use_auth_templates() -> None:
    add_template_dir(AUTH_TEMPLATES)


def auth_page(
    app: APIGatewayHttpResolver,
    portal: PortalAuth,
    template: str,
    status: int = 200,
    *,
    cookies: Sequence[Cookie] = (),
    **context: Any,
) -> Response[str]:
    """A page of the sign-in flow with a CSRF token for its form (not signed in: anonymous binding)."""
    token, csrf_cookie = issue_csrf(app)
    return page(
        template,
        status,
        cookies=[*cookies, *([csrf_cookie] if csrf_cookie else [])],
        portal=portal,
        csrf_token=token,
        field_errors=context.pop("field_errors", None) or {},
        **context,
    )


def json_answer(body: dict[str, Any], cookies: Sequence[Cookie] = (), status: int = 200) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers={"Cache-Control": "no-store"},
        cookies=list(cookies),
    )


def invalid_form(
    app: APIGatewayHttpResolver, portal: PortalAuth, template: str, errors: dict[str, str], **values: Any
) -> Response[str]:
    """A form that did not validate: the same form with each error beside its field (JSON: 422)."""
    if wants_json(app.current_event):
        raise ValidationFailed("Some fields need attention", field_errors=errors)
    return auth_page(app, portal, template, 422, field_errors=errors, **values)


def answer_refusals(app: APIGatewayHttpResolver, portal: PortalAuth, form_template: str) -> None:
    """How this function answers a refused sign-in step: its own form again, the sign-in form, or a
    page that explains why (browsers); the JSON error (API clients)."""

    @app.exception_handler(SignInRefused)
    def refused(exc: SignInRefused) -> Response[str]:
        if wants_json(app.current_event):
            return error_answer(
                app, exc.status, exc.code, exc.message, field_errors=exc.field_errors, next_step=exc.next_step
            )
        template = {"form": form_template, "sign_in": "auth/sign_in.html", "refused": "auth/refused.html"}[exc.page]
        return auth_page(app, portal, template, exc.status, refusal=exc, email=exc.email, field_errors=exc.field_errors)
