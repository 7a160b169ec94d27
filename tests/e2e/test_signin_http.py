"""Sign-in over real HTTP on the local stack: the authorizers run in front of every protected route
as API Gateway runs them, cookies travel as browsers send them, events reach the CRM log."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.template import Stack
from tests.support.local_stack import LocalStackProcess
from tests.support.signin_users import (
    PASSWORD,
    PORTALS,
    browser_like_client,
    create_user,
    csrf_token,
    id_claims,
    sign_like_moto,
    unique_email,
)

AUTHORIZERS = {"PartnerSession": "partners", "AdvertiserSession": "leadworks"}


def protected_routes() -> list[tuple[str, str, str]]:
    """(portal, method, path) of every route behind a portal authorizer in template.yaml."""
    routes = []
    for resource in Stack.from_file().of_type("AWS::Serverless::Function").values():
        for event in (resource["Properties"].get("Events") or {}).values():
            props = event.get("Properties") or {}
            authorizer = (props.get("Auth") or {}).get("Authorizer")
            if event.get("Type") == "HttpApi" and authorizer in AUTHORIZERS:
                path = re.sub(r"\{[^}]+\}", "x", props["Path"])
                routes.append((AUTHORIZERS[authorizer], props["Method"].upper(), path))
    return sorted(routes)


def portal_user(local_stack: LocalStackProcess, portal: str, **kwargs: Any) -> tuple[str, str]:
    pool_output, _client, claim = PORTALS[portal]
    email = unique_email(f"e2e-{portal}")
    subject_id = f"E2E-{email[8:18]}"
    attributes = kwargs.pop("attributes", {claim: subject_id})
    create_user(local_stack.aws("cognito-idp"), local_stack.info["outputs"][pool_output], email, attributes, **kwargs)
    return email, subject_id


def sign_in(http: httpx.Client, portal: str, email: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get(f"/{portal}/sign-in")
    assert page.status_code == 200
    return http.post(
        f"/{portal}/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def session_token(http: httpx.Client, portal: str) -> str:
    return str(http.jar[f"__Host-{portal}-session"])  # type: ignore[attr-defined]


def test_signing_in_over_http_reaches_home_and_signing_out_closes_it(local_stack: LocalStackProcess) -> None:
    email, subject_id = portal_user(local_stack, "partners")
    with browser_like_client(local_stack.url) as http:
        # When the partner signs in with the form
        answer = sign_in(http, "partners", email)
        # Then they are sent home with a __Host- cookie, and home shows who they are
        assert answer.status_code == 303 and answer.headers["location"] == "/partners"
        set_cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("__Host-partners-session="))
        assert all(a in set_cookie for a in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
        home = http.get("/partners")
        assert home.status_code == 200
        assert f"Signed in as <strong>{email}</strong>" in home.text
        # When a sign-out is posted without the CSRF token
        forged = http.post("/partners/sign-out", data={"sign_out": "yes"})
        # Then it is refused and nothing changed: still signed in
        assert forged.status_code == 403
        assert http.get("/partners").status_code == 200
        # When the sign-out button is used
        out = http.post("/partners/sign-out", data={"csrf_token": csrf_token(home.text)})
        assert out.status_code == 303 and out.headers["location"] == "/partners/sign-in?notice=signed-out"
        # Then the browser forgets the cookie and home sends it to sign in again
        assert "__Host-partners-session" not in http.jar  # type: ignore[attr-defined]
        closed = http.get("/partners")
        assert closed.status_code == 303 and closed.headers["location"] == "/partners/sign-in?next=%2Fpartners"
    # And the CRM log has both touches
    for action in ("signed_in", "signed_out"):
        local_stack.wait_for_event(
            lambda e, action=action: (
                e.get("type") == "activity"
                and e["data"]["action"] == action
                and e["subject"] == f"partner:{subject_id}"
            )
        )


def test_one_browser_stays_signed_in_to_both_portals_and_each_portals_forms_still_post(
    local_stack: LocalStackProcess,
) -> None:
    # Given someone with a Partners account and a Leadworks account, in one browser
    partner, _ = portal_user(local_stack, "partners")
    advertiser, _ = portal_user(local_stack, "leadworks")
    with browser_like_client(local_stack.url) as http:
        assert sign_in(http, "partners", partner).status_code == 303
        partners_home = http.get("/partners")
        # When they sign in to Leadworks too, and open a Leadworks page
        assert sign_in(http, "leadworks", advertiser).status_code == 303
        leadworks_home = http.get("/leadworks")
        # Then each portal keeps its own session and CSRF cookies
        assert {"__Host-partners-session", "__Host-leadworks-session"} <= set(http.jar)  # type: ignore[attr-defined]
        assert {"__Host-partners-csrf", "__Host-leadworks-csrf"} <= set(http.jar)  # type: ignore[attr-defined]
        # And both homes name their own user
        assert f"Signed in as <strong>{advertiser}</strong>" in leadworks_home.text
        assert f"Signed in as <strong>{partner}</strong>" in http.get("/partners").text
        # And a form of the Partners page opened before the Leadworks sign-in still posts
        out = http.post("/partners/sign-out", data={"csrf_token": csrf_token(partners_home.text)})
        assert out.status_code == 303 and out.headers["location"] == "/partners/sign-in?notice=signed-out"
        # And signing out of Partners leaves the Leadworks session open
        assert "__Host-partners-session" not in http.jar  # type: ignore[attr-defined]
        assert http.get("/partners").status_code == 303
        assert f"Signed in as <strong>{advertiser}</strong>" in http.get("/leadworks").text


def test_a_token_kept_after_sign_out_no_longer_opens_anything(local_stack: LocalStackProcess) -> None:
    email, _subject = portal_user(local_stack, "leadworks")
    with browser_like_client(local_stack.url) as http:
        sign_in(http, "leadworks", email)
        token = session_token(http, "leadworks")
        home = http.get("/leadworks")
        assert home.status_code == 200
        http.post("/leadworks/sign-out", data={"csrf_token": csrf_token(home.text)})
    # a copy of the cookie taken before the sign-out (the token itself is still unexpired)
    with local_stack.client() as thief:
        answer = thief.get(
            "/leadworks", headers={"Cookie": f"__Host-leadworks-session={token}", "Accept": "application/json"}
        )
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


def test_json_clients_sign_in_and_ask_who_they_are(local_stack: LocalStackProcess) -> None:
    email, subject_id = portal_user(local_stack, "leadworks")
    with browser_like_client(local_stack.url, headers={"Accept": "application/json"}) as http:
        answer = http.post("/leadworks/sign-in", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200
        assert answer.json()["signed_in"] is True
        me = http.get("/leadworks")
        assert me.status_code == 200
        assert me.json()["signed_in_as"] == {
            "kind": "advertiser",
            "subject_id": subject_id,
            "user_sub": me.json()["signed_in_as"]["user_sub"],
            "email": email,
        }


@pytest.fixture(scope="module")
def cookies_that_must_not_open(local_stack: LocalStackProcess) -> dict[str, dict[str, str]]:
    """Per portal: a forged token (right claims, another key), an expired genuine-looking one, garbage."""
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cookies = {}
    for portal, (pool_output, client_output, claim) in PORTALS.items():
        outputs = local_stack.info["outputs"]
        claims = id_claims(outputs[pool_output], outputs[client_output], **{claim: "X-1"})
        past = int(time.time()) - 3600
        cookies[portal] = {
            "forged": jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": "dummy"}),
            "expired": sign_like_moto({**claims, "iat": past - 3600, "exp": past}),
            "garbage": "not-a-token",
        }
    return cookies


@pytest.mark.parametrize(("portal", "method", "path"), protected_routes())
def test_every_protected_route_sends_callers_without_a_valid_session_to_sign_in(
    local_stack: LocalStackProcess,
    cookies_that_must_not_open: dict[str, dict[str, str]],
    portal: str,
    method: str,
    path: str,
) -> None:
    """No cookie, a forged, an expired or a garbage one: the authorizer passes the request on marked
    signed out, and the route's resolver refuses it before the route runs."""
    callers = {"no cookie": {}}
    callers.update(
        {kind: {"Cookie": f"__Host-{portal}-session={v}"} for kind, v in cookies_that_must_not_open[portal].items()}
    )
    with local_stack.client() as http:
        for kind, cookie in callers.items():
            # When a browser asks for the route
            browser = http.request(method, path, headers={**cookie, "Accept": "text/html"})
            # Then a page is a trip to the sign-in page and back; a form post is a 401 page saying so
            if method == "GET":
                assert browser.status_code == 303, f"{kind} on {method} {path}: {browser.status_code}"
                assert browser.headers["location"] == f"/{portal}/sign-in?{urlencode({'next': path})}"
            else:
                assert browser.status_code == 401 and "Please sign in" in browser.text, f"{kind} on {method} {path}"
            # And an API client gets a JSON 401
            api = http.request(method, path, headers={**cookie, "Accept": "application/json"})
            assert api.status_code == 401, f"{kind} on {method} {path} (JSON): {api.status_code}"
            assert api.json()["error"]["code"] == "unauthorized"


def test_the_same_session_with_an_expired_token_is_refused(local_stack: LocalStackProcess) -> None:
    # Given a real session
    email, _subject = portal_user(local_stack, "partners")
    with browser_like_client(local_stack.url) as http:
        sign_in(http, "partners", email)
        claims = jwt.decode(session_token(http, "partners"), options={"verify_signature": False})
    past = int(time.time()) - 60
    expired = sign_like_moto({**claims, "iat": past - 3600, "exp": past})
    fresh = sign_like_moto(claims)
    # Then only the expiry makes the difference
    with local_stack.client() as http:
        assert http.get("/partners", headers={"Cookie": f"__Host-partners-session={fresh}"}).status_code == 200
        refused = http.get(
            "/partners", headers={"Cookie": f"__Host-partners-session={expired}", "Accept": "application/json"}
        )
        assert refused.status_code == 401


def test_a_csrf_less_sign_in_post_is_refused_and_starts_nothing(local_stack: LocalStackProcess) -> None:
    email, subject_id = portal_user(local_stack, "partners")
    with browser_like_client(local_stack.url) as http:
        http.get("/partners/sign-in")  # the CSRF cookie is there, the form field is not
        answer = http.post("/partners/sign-in", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 403
        assert "__Host-partners-session" not in answer.headers.get("set-cookie", "")
    time.sleep(1.5)
    assert not [e for e in local_stack.crm_log() if e["event"].get("subject") == f"partner:{subject_id}"]


def test_the_sign_in_page_sends_a_signed_in_partner_on_and_returns_to_the_asked_page(
    local_stack: LocalStackProcess,
) -> None:
    email, _subject = portal_user(local_stack, "partners")
    with browser_like_client(local_stack.url) as http:
        # Given a partner sent to sign in on the way to a page of the portal (e.g. from an email link)
        page = http.get("/partners/sign-in?next=/partners/proposals")
        assert page.status_code == 200
        answer = http.post(
            "/partners/sign-in?next=/partners/proposals",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        )
        # Then signing in lands on that page, not the home page
        assert answer.status_code == 303 and answer.headers["location"] == "/partners/proposals"
        # And when the signed-in partner opens the sign-in page again, they are sent straight home
        again = http.get("/partners/sign-in")
        assert again.status_code == 303 and again.headers["location"] == "/partners"
    # And a "next" that leaves the portal is ignored (no open redirect)
    with browser_like_client(local_stack.url) as http:
        page = http.get("/partners/sign-in?next=//evil.example/x")
        answer = http.post(
            "/partners/sign-in?next=//evil.example/x",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/partners"


def test_a_form_sent_signed_out_says_nothing_was_sent_and_leads_back_to_its_page_through_sign_in(
    local_stack: LocalStackProcess,
) -> None:
    form_page = f"{local_stack.url}/partners/rph/new?draft=abc123"
    with local_stack.client() as http:
        # When a browser sends the RPH form after its session ended
        answer = http.post(
            "/partners/rph",
            data={"customer_name": "Ann Example"},
            headers={"Accept": "text/html", "Referer": form_page},
        )
        # Then a 401 page says nothing was sent, and its button signs in and comes back to the form's page
        assert answer.status_code == 401
        assert "so this was not sent" in answer.text
        assert f'href="/partners/sign-in?{urlencode({"next": "/partners/rph/new?draft=abc123"})}"' in answer.text
        # And a page of another site, or of the other portal, is never the way back
        for referer in ("https://elsewhere.example/partners/rph/new", f"{local_stack.url}/leadworks/leads/new"):
            other = http.post(
                "/partners/rph", data={"customer_name": "Ann"}, headers={"Accept": "text/html", "Referer": referer}
            )
            assert other.status_code == 401 and 'href="/partners/sign-in"' in other.text, referer
