"""Acceptance, in Chromium through the real pages: the demo partner signs in, reaches home, signs out;
a wrong password, a disabled user and an expired access window each get a clear page; a forged or
expired cookie is refused."""

from __future__ import annotations

import re
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect

from tests.support.local_stack import LocalStackProcess
from tests.support.signin_users import PASSWORD, PORTALS, create_user, id_claims, sign_like_moto, unique_email


def demo_login(page: Page, portal: str) -> tuple[str, str]:
    """The demo login the local stack's start page lists for a portal (as a newcomer finds it)."""
    page.goto("/")
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=re.compile(f"^{portal}$"))).first
    cells = row.locator("td")
    return cells.nth(1).inner_text().strip(), cells.nth(2).inner_text().strip()


def portal_user(local_stack: LocalStackProcess, portal: str, **kwargs: Any) -> str:
    pool_output, _client, claim = PORTALS[portal]
    email = unique_email(f"browser-{portal}")
    attributes = {claim: f"B-{email[8:16]}", **kwargs.pop("attributes", {})}
    create_user(local_stack.aws("cognito-idp"), local_stack.info["outputs"][pool_output], email, attributes, **kwargs)
    return email


def sign_in(page: Page, portal: str, email: str, password: str) -> Any:
    page.goto(f"/{portal}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.url.endswith(f"/{portal}/sign-in") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    return answer.value


def test_the_demo_partner_signs_in_reaches_home_and_signs_out(page: Page) -> None:
    # Given the demo partner login from the start page
    email, password = demo_login(page, "partners")
    # When they sign in
    sign_in(page, "partners", email, password)
    # Then they are on the Partners home page, signed in as themselves, with the portal's sections
    expect(page).to_have_url(page.url.split("/partners")[0] + "/partners")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to the Partners portal")
    expect(page.locator("main")).to_contain_text(f"Signed in as {email}")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Proposals")).to_be_visible()
    # When they sign out
    page.get_by_role("button", name="Sign out").click()
    # Then the sign-in page says so, and home sends them back to sign in
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto("/partners")
    expect(page).to_have_url(re.compile(r"/partners/sign-in\?next=%2Fpartners$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_signed_out_visitor_of_a_portal_page_signs_in_and_lands_on_that_page(page: Page) -> None:
    # Given the demo advertiser's login, and no session
    email, password = demo_login(page, "leadworks")
    page.context.clear_cookies()
    # When they open a page of the portal (a bookmark, a link in an email)
    page.goto("/leadworks/leads/upload")
    # Then they are asked to sign in, not shown an error
    expect(page).to_have_url(re.compile(r"/leadworks/sign-in\?next=%2Fleadworks%2Fleads%2Fupload$"))
    # When they sign in
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Then they land on the page they asked for
    expect(page).to_have_url(re.compile(r"/leadworks/leads/upload$"))
    expect(page.locator("body")).to_contain_text(f"Signed in as {email}")


def test_a_wrong_password_gets_a_clear_page_and_the_form_again(page: Page, local_stack: LocalStackProcess) -> None:
    email = portal_user(local_stack, "partners")
    answer = sign_in(page, "partners", email, "Wrong-Password-1")
    assert answer.status == 401
    expect(page.get_by_role("alert")).to_contain_text("The email address or the password is not correct.")
    # the address is kept, the password is not, and the form is ready for another try
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # keyboard only
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to the Partners portal")


def test_a_disabled_user_is_told_their_account_is_disabled(page: Page, local_stack: LocalStackProcess) -> None:
    email = portal_user(local_stack, "leadworks", enabled=False)
    answer = sign_in(page, "leadworks", email, PASSWORD)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is disabled")
    expect(page.locator("main")).to_contain_text("contact your account manager")


def test_an_expired_access_window_gets_a_page_saying_when_it_ended(page: Page, local_stack: LocalStackProcess) -> None:
    email = portal_user(local_stack, "partners", attributes={"custom:access_end": "2024-06-30"})
    answer = sign_in(page, "partners", email, PASSWORD)
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your access has ended")
    expect(page.locator("main")).to_contain_text("ended on June 30, 2024")
    expect(page.locator("main")).to_contain_text("contact your partner manager")


def test_the_first_sign_in_asks_for_a_new_password(page: Page, local_stack: LocalStackProcess) -> None:
    email = portal_user(local_stack, "leadworks", permanent=False)
    sign_in(page, "leadworks", email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.get_by_label("New password", exact=True).fill("Mine-Own-Pass-77")
    page.get_by_label("New password, again").fill("Mine-Own-Pass-77")
    page.get_by_role("button", name="Save and sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Leadworks")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Bulk upload")).to_be_visible()


def test_a_forged_or_expired_cookie_is_refused(page: Page, local_stack: LocalStackProcess) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    outputs = local_stack.info["outputs"]
    for portal, (pool_output, client_output, claim) in PORTALS.items():
        claims = id_claims(outputs[pool_output], outputs[client_output], **{claim: "X-1"})
        past = int(time.time()) - 3600
        for value in (
            jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": "dummy"}),
            sign_like_moto({**claims, "iat": past - 3600, "exp": past}),
        ):
            page.context.clear_cookies()
            # set the way someone forging it would: from a page of the site (HttpOnly is ours to set only)
            page.goto(f"/{portal}/sign-in")
            name = f"__Host-{portal}-session"
            page.evaluate("([name, value]) => { document.cookie = `${name}=${value}; Path=/; Secure`; }", [name, value])
            # the page's cookie reaches the browser's cookie store a moment later (another process)
            for _ in range(100):
                if name in {c["name"] for c in page.context.cookies()}:
                    break
                page.wait_for_timeout(50)
            assert name in {c["name"] for c in page.context.cookies()}
            page.goto(f"/{portal}")
            # the cookie opens nothing: the browser is sent to sign in
            expect(page).to_have_url(re.compile(rf"/{portal}/sign-in\?next=%2F{portal}$"))
            expect(page.locator("body")).not_to_contain_text("Signed in as")
