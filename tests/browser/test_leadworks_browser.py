"""Acceptance, in Chromium through the real pages: the demo advertiser signs in, creates a lead with
the intake form, and gets the duplicate message when it tries the same email again."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.support.local_stack import LocalStackProcess


def demo_login(page: Page) -> tuple[str, str]:
    """The demo advertiser's login, as the local stack's start page lists it."""
    page.goto("/")
    row = page.locator("tr").filter(has=page.locator("td:first-child", has_text=re.compile("^leadworks$"))).first
    cells = row.locator("td")
    return cells.nth(1).inner_text().strip(), cells.nth(2).inner_text().strip()


def fill_lead(page: Page, email: str) -> None:
    page.get_by_label("Customer name").fill("Morgan Browser")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Street address").fill("77 Chestnut Avenue")
    page.get_by_label("City", exact=True).fill("Springfield")
    page.get_by_label("State", exact=True).fill("IL")
    page.get_by_label("ZIP code").fill("62704")
    page.get_by_label("Problem description").fill("Water pools on the patio after every rain; wants drainage fixed.")


def test_the_demo_advertiser_creates_a_lead_and_a_second_try_is_a_duplicate(
    page: Page, local_stack: LocalStackProcess
) -> None:
    email, password = demo_login(page)
    prospect = f"browser.{uuid.uuid4().hex[:10]}@example.com"
    # Given the demo advertiser signed in
    page.goto("/leadworks/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Leadworks")
    # When it opens "New lead", fills the intake form and sends it
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New lead")
    fill_lead(page, prospect)
    page.get_by_role("button", name="Create lead").click()
    # Then the lead's page says it was created, labelled external user
    expect(page.get_by_role("status")).to_contain_text("The lead was created")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Lead: {prospect}")
    expect(page.locator("main")).to_contain_text("external user")
    # When it tries the same email again (in other case), on a new form
    page.goto("/leadworks/leads/new")
    fill_lead(page, f"  {prospect.upper()} ")
    page.get_by_role("button", name="Create lead").click()
    # Then it is told a lead with this email already exists, beside the field and above the form
    expect(page.locator("#duplicate")).to_contain_text("A lead with this email address already exists")
    expect(page.locator("#email-error")).to_have_text("A lead with this email address already exists")
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    # And it is still one lead in its list
    page.goto("/leadworks/leads")
    expect(page.get_by_role("link", name=prospect)).to_have_count(1)
    local_stack.wait_for_event(lambda e: e["type"] == "lead.created" and e["data"].get("email_key") == prospect)
