"""Sign-in, first sign-in, forgotten password, sign-out and the home page: the handlers invoked with
events/ samples against moto (pools, tables and secret made from template.yaml)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import boto3
import pytest

from local.template import Stack
from portal_common.auth import jwks
from tests.support.lambda_env import LambdaHarness, sample_event
from tests.support.signin_users import PASSWORD, PORTALS, create_user, csrf_token, moto_jwks, unique_email

PORTAL_FUNCTIONS = {"partners": "Partners", "leadworks": "Leadworks"}


@pytest.fixture(autouse=True)
def moto_signing_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto serves no HTTP: its JWKS document comes straight from moto's package."""
    jwks.pool_keys.cache_clear()
    monkeypatch.setattr(jwks, "fetch_json", lambda url: moto_jwks())
    yield
    jwks.pool_keys.cache_clear()


def pool(stack: Stack, portal: str) -> str:
    return str(stack.refs[PORTALS[portal][0].removesuffix("Id")])


def new_user(stack: Stack, portal: str, **kwargs: Any) -> str:
    email = unique_email(f"it-{portal}")
    attributes = kwargs.pop("attributes", {PORTALS[portal][2]: f"{portal[:1].upper()}-{email[:12]}"})
    create_user(boto3.client("cognito-idp"), pool(stack, portal), email, attributes, **kwargs)
    return email


def cookies_of(answer: dict[str, Any]) -> dict[str, str]:
    jar = {}
    for raw in answer.get("cookies") or []:
        name, _, rest = raw.partition("=")
        jar[name] = rest.split(";", 1)[0]
    return jar


def attributes_of(answer: dict[str, Any], name: str) -> str:
    return next(c for c in answer.get("cookies") or [] if c.startswith(f"{name}="))


class Browser:
    """Just enough of a browser to walk the sign-in pages: a cookie jar and form posts."""

    def __init__(self, lambdas: LambdaHarness, portal: str):
        self.lambdas = lambdas
        self.portal = portal
        self.jar: dict[str, str] = {}

    def _event(self, sample: str, method: str, path: str, body: str | None, ctype: str | None, query: str = "") -> Any:
        event = sample_event(f"{self.portal}/{sample}")
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(parse_qsl(query)) if query else None
        headers = {"accept": "text/html", "host": "example.execute-api.us-east-1.amazonaws.com"}
        if ctype:
            headers["content-type"] = ctype
        if self.jar:
            event["cookies"] = [f"{k}={v}" for k, v in self.jar.items()]
            headers["cookie"] = "; ".join(event["cookies"])
        else:
            event.pop("cookies", None)
        event["headers"] = headers
        event["body"] = body
        event["requestContext"].pop("authorizer", None)
        return event

    def call(
        self, function: str, sample: str, method: str, path: str, form: dict[str, str] | None = None, query: str = ""
    ) -> Any:
        body = urlencode(form) if form is not None else None
        ctype = "application/x-www-form-urlencoded" if form is not None else None
        answer = self.lambdas.invoke(
            f"{PORTAL_FUNCTIONS[self.portal]}{function}", self._event(sample, method, path, body, ctype, query)
        )
        for name, value in cookies_of(answer).items():
            if value:
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        return answer

    def page(self, function: str, sample: str, path: str, query: str = "") -> Any:
        return self.call(function, sample, "GET", path, query=query)

    def submit(
        self, function: str, sample: str, path: str, fields: dict[str, str], page_path: str | None = None
    ) -> Any:
        form_page = self.page(function, sample, page_path or path)
        return self.call(function, sample, "POST", path, {**fields, "csrf_token": csrf_token(form_page["body"])})

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        return self.submit(
            "SignInFunction", "sign_in.json", f"/{self.portal}/sign-in", {"email": email, "password": password}
        )


def outbox_events(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    return [json.loads(item["event"]["S"]) for item in items]


def session_items(stack: Stack) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=stack.refs["SessionsTable"])["Items"]


@pytest.mark.parametrize("portal", ["partners", "leadworks"])
def test_signing_in_sets_the_host_cookie_starts_a_session_and_tells_the_crm(
    stack: Stack, lambdas: LambdaHarness, portal: str
) -> None:
    # Given a portal user
    email = new_user(stack, portal)
    browser = Browser(lambdas, portal)
    # When they sign in with the form
    answer = browser.sign_in(email)
    # Then they land on the portal's home page with the ID token in a __Host- cookie
    assert answer["statusCode"] == 303, answer.get("body")
    assert answer["headers"]["Location"] == f"/{portal}"
    cookie = attributes_of(answer, f"__Host-{portal}-session")
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age="):
        assert attribute in cookie
    assert "Domain=" not in cookie
    # And a session item holds who they are (the token has no email: it comes from the sign-in)
    [item] = session_items(stack)
    assert item["email"]["S"] == email
    assert item["portal"]["S"] == portal
    assert item["pk"]["S"].startswith("SESSION#")
    assert int(item["expires_at"]["N"]) > int(item["created_at"]["N"])
    # And the CRM hears of it as an activity
    [event] = outbox_events(stack)
    kind = "partner" if portal == "partners" else "advertiser"
    assert event["type"] == "activity" and event["data"]["action"] == "signed_in"
    assert event["actor"]["kind"] == kind and event["actor"]["id"] == item["subject_id"]["S"]
    assert event["subject"] == f"{kind}:{item['subject_id']['S']}"


def test_a_wrong_password_and_an_unknown_email_get_the_same_clear_answer(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a partner user
    email = new_user(stack, "partners")
    browser = Browser(lambdas, "partners")
    # When someone tries a wrong password, and then an address that has no account
    wrong = browser.sign_in(email, "Not-the-password-1")
    unknown = browser.sign_in(unique_email("nobody"), "Not-the-password-1")
    # Then both get the sign-in form again, 401, with the same message, and nothing was started
    for answer in (wrong, unknown):
        assert answer["statusCode"] == 401
        assert "The email address or the password is not correct." in answer["body"]
        assert 'name="password"' in answer["body"]
        assert "__Host-partners-session" not in cookies_of(answer)
    assert session_items(stack) == []
    assert outbox_events(stack) == []


def test_a_disabled_user_is_told_why_and_what_to_do(stack: Stack, lambdas: LambdaHarness) -> None:
    email = new_user(stack, "partners", enabled=False)
    answer = Browser(lambdas, "partners").sign_in(email)
    assert answer["statusCode"] == 403
    assert "Your account is disabled" in answer["body"]
    assert "contact your partner manager" in answer["body"]
    assert session_items(stack) == []


@pytest.mark.parametrize(
    ("window", "title", "day"),
    [
        ({"custom:access_start": "2999-01-01"}, "Your access has not started yet", "January 1, 2999"),
        ({"custom:access_end": "2001-02-03"}, "Your access has ended", "February 3, 2001"),
    ],
)
def test_a_user_outside_the_access_window_cannot_sign_in(
    stack: Stack, lambdas: LambdaHarness, window: dict[str, str], title: str, day: str
) -> None:
    email = new_user(stack, "leadworks", attributes={"custom:advertiser_id": "A-77", **window})
    answer = Browser(lambdas, "leadworks").sign_in(email)
    assert answer["statusCode"] == 403
    assert title in answer["body"] and day in answer["body"]
    assert session_items(stack) == []
    assert outbox_events(stack) == []


def test_an_account_without_a_partner_id_is_not_signed_in(stack: Stack, lambdas: LambdaHarness) -> None:
    email = new_user(stack, "partners", attributes={})
    answer = Browser(lambdas, "partners").sign_in(email)
    assert answer["statusCode"] == 403
    assert "not linked to the Partners portal" in answer["body"]


def test_the_first_sign_in_asks_for_a_new_password_then_signs_in(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given an advertiser created with a temporary password
    email = new_user(stack, "leadworks", permanent=False)
    browser = Browser(lambdas, "leadworks")
    # When they sign in with it
    answer = browser.sign_in(email)
    # Then they are sent to choose their own password (the challenge waits in a __Host- cookie)
    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"] == "/leadworks/new-password"
    assert "__Host-leadworks-challenge" in browser.jar and "__Host-leadworks-session" not in browser.jar
    page = browser.page("NewPasswordFunction", "new_password.json", "/leadworks/new-password")
    assert page["statusCode"] == 200 and email in page["body"]
    # When the new password breaks the rules
    weak = browser.submit(
        "NewPasswordFunction",
        "new_password.json",
        "/leadworks/new-password",
        {"new_password": "short", "confirm_password": "short"},
    )
    # Then the error stands beside the field
    assert weak["statusCode"] == 422
    assert 'id="new_password-error"' in weak["body"] and "at least 10 characters" in weak["body"]
    # When they choose a good one
    done = browser.submit(
        "NewPasswordFunction",
        "new_password.json",
        "/leadworks/new-password",
        {"new_password": "Brand-New-Pass-9", "confirm_password": "Brand-New-Pass-9"},
    )
    # Then they are signed in, and the challenge cookie is gone
    assert done["statusCode"] == 303 and done["headers"]["Location"] == "/leadworks"
    assert "__Host-leadworks-session" in browser.jar and "__Host-leadworks-challenge" not in browser.jar
    # And the new password is the one that works from now on
    assert Browser(lambdas, "leadworks").sign_in(email, "Brand-New-Pass-9")["statusCode"] == 303


def test_the_new_password_page_without_its_challenge_sends_back_to_sign_in(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    answer = Browser(lambdas, "partners").page("NewPasswordFunction", "new_password.json", "/partners/new-password")
    assert answer["statusCode"] == 401
    assert "Setting your new password took too long." in answer["body"]
    assert 'action="/partners/sign-in"' in answer["body"]


def test_a_forgotten_password_is_replaced_with_the_emailed_code(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a partner who forgot their password
    email = new_user(stack, "partners")
    browser = Browser(lambdas, "partners")
    # When they ask for a code
    asked = browser.submit(
        "ForgotPasswordFunction", "forgot_password.json", "/partners/forgot-password", {"email": email}
    )
    # Then they are sent to the confirm step, their address already filled in
    assert asked["statusCode"] == 303
    confirm_url = asked["headers"]["Location"]
    path, _, query = confirm_url.partition("?")
    assert path == "/partners/forgot-password/confirm"
    confirm = browser.page("ForgotPasswordFunction", "forgot_password_confirm.json", path, query)
    assert f'value="{email}"' in confirm["body"]
    # When they type a wrong code (moto checks codes of its own format only)
    wrong = browser.call(
        "ForgotPasswordFunction",
        "forgot_password_confirm.json",
        "POST",
        path,
        {
            "email": email,
            "code": "moto-confirmation-code:000000",
            "new_password": "Another-Pass-42",
            "confirm_password": "Another-Pass-42",
            "csrf_token": csrf_token(confirm["body"]),
        },
    )
    assert wrong["statusCode"] == 422
    assert "This code is not valid" in wrong["body"] and 'id="code-error"' in wrong["body"]
    # When they type the code from the email and a new password
    done = browser.call(
        "ForgotPasswordFunction",
        "forgot_password_confirm.json",
        "POST",
        path,
        {
            "email": email,
            "code": "123456",
            "new_password": "Another-Pass-42",
            "confirm_password": "Another-Pass-42",
            "csrf_token": csrf_token(confirm["body"]),
        },
    )
    # Then the sign-in page says so, and the new password works
    assert done["statusCode"] == 303
    assert done["headers"]["Location"] == "/partners/sign-in?notice=password-changed"
    notice = browser.page("SignInFunction", "sign_in.json", "/partners/sign-in", "notice=password-changed")
    assert "Your password has been changed." in notice["body"]
    assert Browser(lambdas, "partners").sign_in(email, "Another-Pass-42")["statusCode"] == 303


def test_asking_a_code_for_an_unknown_address_looks_the_same(stack: Stack, lambdas: LambdaHarness) -> None:
    answer = Browser(lambdas, "leadworks").submit(
        "ForgotPasswordFunction",
        "forgot_password.json",
        "/leadworks/forgot-password",
        {"email": unique_email("nobody")},
    )
    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"].startswith("/leadworks/forgot-password/confirm?email=")


def home_event(portal: str, browser: Browser, session_item: dict[str, Any], kind: str) -> dict[str, Any]:
    """What the authorizer hands the home function (the context is tested in test_auth_authorizer)."""
    event = sample_event(f"{portal}/home.json")
    event["cookies"] = [f"{k}={v}" for k, v in browser.jar.items()]
    event["headers"]["cookie"] = "; ".join(event["cookies"])
    event["requestContext"]["authorizer"] = {
        "lambda": {
            "kind": kind,
            "subject_id": session_item["subject_id"]["S"],
            "user_sub": session_item["user_sub"]["S"],
            "email": session_item["email"]["S"],
            "session_id": session_item["session_id"]["S"],
        }
    }
    return event


def test_the_home_page_shows_who_is_signed_in_and_signing_out_ends_the_session(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    # Given a signed-in partner
    email = new_user(stack, "partners")
    browser = Browser(lambdas, "partners")
    browser.sign_in(email)
    [item] = session_items(stack)
    # When the home page is shown
    home = lambdas.invoke("PartnersHomeFunction", home_event("partners", browser, item, "partner"))
    for name, value in cookies_of(home).items():
        browser.jar[name] = value
    # Then it names the user, offers the portal's sections and a sign-out button with a CSRF token
    assert home["statusCode"] == 200
    body = home["body"]
    assert f"Signed in as <strong>{email}</strong>" in body
    assert "Proposals" in body and "Send us a job (RPH)" in body
    assert 'action="/partners/sign-out"' in body
    # When a sign-out is posted without the CSRF token
    forged = browser.call("SignOutFunction", "sign_out.json", "POST", "/partners/sign-out", {})
    # Then it is refused and the session goes on
    assert forged["statusCode"] == 403
    assert len(session_items(stack)) == 1
    # When the sign-out button is used
    answer = browser.call(
        "SignOutFunction", "sign_out.json", "POST", "/partners/sign-out", {"csrf_token": csrf_token(body)}
    )
    # Then the session is gone, the cookie forgotten, and the CRM told
    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"] == "/partners/sign-in?notice=signed-out"
    assert "Max-Age=0" in attributes_of(answer, "__Host-partners-session")
    assert session_items(stack) == []
    assert [e["data"]["action"] for e in sorted(outbox_events(stack), key=lambda e: e["occurred_at"])] == [
        "signed_in",
        "signed_out",
    ]


def test_json_clients_sign_in_with_json_and_get_the_cookie(stack: Stack, lambdas: LambdaHarness) -> None:
    email = new_user(stack, "leadworks")
    event = sample_event("leadworks/sign_in_post.json", body=json.dumps({"email": email, "password": PASSWORD}))
    answer = lambdas.invoke("LeadworksSignInFunction", event)
    assert answer["statusCode"] == 200
    body = json.loads(answer["body"])
    assert body["signed_in"] is True and body["email"] == email and body["home"] == "/leadworks"
    assert "__Host-leadworks-session" in cookies_of(answer)
    # and a refusal is JSON too
    event = sample_event("leadworks/sign_in_post.json", body=json.dumps({"email": email, "password": "Wrong-pass-123"}))
    refused = lambdas.invoke("LeadworksSignInFunction", event)
    assert refused["statusCode"] == 401
    assert json.loads(refused["body"])["error"]["code"] == "wrong_credentials"
