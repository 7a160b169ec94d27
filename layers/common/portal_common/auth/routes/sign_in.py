"""GET/POST /<portal>/sign-in. Form posts need the CSRF token; a JSON post answers JSON (and sets
the session cookie too)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portal_common.auth import signin
from portal_common.auth.authorizer import Denied, identify
from portal_common.auth.cookies import challenge_cookie, forget_challenge, session_cookie
from portal_common.auth.forms import SignInForm
from portal_common.auth.portals import PortalAuth
from portal_common.auth.routes.rendering import (
    NOTICES,
    answer_refusals,
    auth_page,
    invalid_form,
    json_answer,
    use_auth_templates,
)
from portal_common.web import openapi_docs as docs
from portal_common.web.forms import read_form, validate
from portal_common.web.identity import request_actor
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

TEMPLATE = "auth/sign_in.html"


def safe_next(portal: PortalAuth, target: str | None) -> str | None:
    """Where to go after signing in: only a path inside this portal (no other site, no scheme)."""
    if not target or not target.startswith(f"/{portal.portal}/") or "//" in target or "\\" in target:
        return None
    return target if len(target) <= 500 and target.isprintable() else None


def signed_in_answer(
    app: APIGatewayHttpResolver,
    portal: PortalAuth,
    outcome: signin.SignedIn | signin.NewPasswordNeeded,
    next_url: str | None = None,
) -> Response[str]:
    """After the password (or the first new password): the portal home, or the new-password page."""
    if isinstance(outcome, signin.NewPasswordNeeded):
        cookies = [challenge_cookie(portal.portal, outcome.challenge, signin.CHALLENGE_SECONDS)]
        url = portal.url("new-password")
        if wants_json(app.current_event):
            return json_answer({"signed_in": False, "next_step": "new_password", "url": url}, cookies)
        return redirect(url, cookies=cookies)
    session = outcome.session
    cookies = [session_cookie(portal.portal, outcome.id_token, outcome.cookie_seconds), forget_challenge(portal.portal)]
    if wants_json(app.current_event):
        body = {
            "signed_in": True,
            "email": session.email,
            "subject_id": session.subject_id,
            "home": portal.home,
            "session_expires_at": session.expires_at,
        }
        return json_answer(body, cookies)
    return redirect(next_url or portal.home, cookies=cookies)


def register(app: APIGatewayHttpResolver, portal: PortalAuth) -> None:
    use_auth_templates()
    answer_refusals(app, portal, TEMPLATE)

    @app.get(
        portal.url("sign-in"),
        responses=docs.merge(docs.page("The sign-in form"), docs.redirect("Already signed in: on to the portal")),
    )
    def sign_in_page() -> Response[str]:
        next_url = safe_next(portal, app.current_event.get_query_string_value("next"))
        try:  # already signed in (a bookmark, a link from an email): straight on
            identify(portal, app.current_event.raw_event)
            return redirect(next_url or portal.home)
        except Denied:
            pass
        notice = NOTICES.get(app.current_event.get_query_string_value("notice") or "")
        return auth_page(app, portal, TEMPLATE, notice=notice, next_url=next_url)

    @app.post(
        portal.url("sign-in"),
        responses=docs.form_post(then="Signed in: on to the portal (or to the new-password page)"),
        openapi_extensions=docs.form_body(SignInForm),
    )
    def sign_in() -> Response[str]:
        fields = read_form(app)
        form, errors = validate(SignInForm, fields)
        if form is None:
            return invalid_form(app, portal, TEMPLATE, errors, email=fields.get("email", ""))
        client = request_actor(app, "anonymous", None)
        next_url = safe_next(portal, app.current_event.get_query_string_value("next"))
        return signed_in_answer(app, portal, signin.sign_in(portal, form.email, form.password, client), next_url)
