"""Info site in Chromium: from the nurture email in the mailbox to the quote form and its thank-you
page; the lead (prospect) or opportunity (customer) reaches the CRM log and the alert the mailbox."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.support.local_stack import LocalStackProcess


def new_contact(stack: LocalStackProcess, kind: str, owner: str | None = None) -> tuple[str, str]:
    contact_id = f"br-{uuid.uuid4().hex[:12]}"
    name = f"Robin {contact_id}"
    with stack.client() as http:
        body = {"name": name, "email": f"{contact_id}@example.com", "kind": kind, "owner": owner}
        assert http.put(f"/crm/contacts/{contact_id}", json=body).status_code == 200
        queued = http.post("/crm/nurture-emails", json={"contact_id": contact_id, "campaign": "Nurture P2", "step": 1})
        assert queued.status_code == 202
    return contact_id, name


def wait_for_mail(stack: LocalStackProcess, predicate: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in stack.mailbox():
            if predicate(message):
                return message
        time.sleep(0.3)
    raise AssertionError("no matching email arrived")


def ask_for_a_quote_from_the_mailbox(page: Page, stack: LocalStackProcess, contact_id: str, name: str) -> None:
    wait_for_mail(stack, lambda m: f"{contact_id}@example.com" in m["destinations"])
    # Given the nurture email, opened from the mailbox
    page.goto("/_local/mailbox")
    page.get_by_role("link", name=re.compile(re.escape(name))).click()
    # When its quote link is followed
    page.get_by_role("link", name="Ask for a quote").click()
    # Then the form is prefilled from the contact
    expect(page.get_by_role("heading", name="Ask for a quote")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value(name)
    expect(page.get_by_label("Email", exact=True)).to_have_value(f"{contact_id}@example.com")
    # When the contact asks to be called, forgetting the phone number at first
    page.get_by_label("What can we help with?").fill("Our car park needs resurfacing before winter.")
    page.get_by_label("Call me").check()
    page.get_by_role("button", name="Send my request").click()
    # Then the error is shown beside the phone field, and nothing typed is lost
    expect(page.locator("#phone-error")).to_have_text("Please give a phone number so we can call you.")
    expect(page.get_by_label("What can we help with?")).to_have_value("Our car park needs resurfacing before winter.")
    # When the phone is given and the form sent again
    page.get_by_role("textbox", name="Phone").fill("+1 555 0177")
    page.get_by_role("button", name="Send my request").click()
    # Then the thank-you page says what happens next
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    expect(page.get_by_text("What happens next")).to_be_visible()


def test_a_prospect_asking_for_a_quote_becomes_a_lead_and_the_sales_team_is_alerted(
    page: Page, local_stack: LocalStackProcess
) -> None:
    contact_id, name = new_contact(local_stack, "prospect")
    ask_for_a_quote_from_the_mailbox(page, local_stack, contact_id, name)
    expect(page.get_by_text("Someone from our sales team")).to_be_visible()
    # And a lead reaches the CRM log
    lead = local_stack.wait_for_event(
        lambda e: e.get("type") == "lead.created_from_quote" and e.get("subject") == f"contact:{contact_id}"
    )
    assert lead["data"]["contact"]["phone"] == "+1 555 0177"
    assert lead["data"]["request"]["contact_by"] == "phone"
    # And the alert is in the mailbox, sent to the fallback list (the prospect has no owner)
    alert = wait_for_mail(local_stack, lambda m: m["subject"] == f"New lead from the Info site: {name}")
    assert alert["destinations"] == ["sales-desk@example.com"]


def test_a_customer_asking_for_a_quote_becomes_an_opportunity_and_the_owner_is_alerted(
    page: Page, local_stack: LocalStackProcess
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    contact_id, name = new_contact(local_stack, "customer", owner=owner)
    ask_for_a_quote_from_the_mailbox(page, local_stack, contact_id, name)
    expect(page.get_by_text("Your account manager")).to_be_visible()
    local_stack.wait_for_event(
        lambda e: e.get("type") == "opportunity.created_from_quote" and e.get("subject") == f"contact:{contact_id}"
    )
    alert = wait_for_mail(local_stack, lambda m: owner in m["destinations"])
    assert alert["subject"] == f"New opportunity from the Info site: {name}"


def test_both_pages_read_well_on_a_phone_without_javascript(browser: Any, local_stack: LocalStackProcess) -> None:
    contact_id, _ = new_contact(local_stack, "prospect")
    message = wait_for_mail(local_stack, lambda m: f"{contact_id}@example.com" in m["destinations"])
    unsubscribe = next(v for k, v in message["headers"] if k == "List-Unsubscribe").strip("<>")
    quote = re.search(r'href="([^"]*/fn/QuoteFunction/[^"]+)"', message["html"])
    assert quote is not None
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False, is_mobile=True)
    phone = context.new_page()
    try:
        for url, heading in ((quote.group(1).replace("&amp;", "&"), "Ask for a quote"), (unsubscribe, "Stop our")):
            phone.goto(url)
            expect(phone.get_by_role("heading", name=re.compile(heading))).to_be_visible()
            width = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], f"{heading}: the page scrolls sideways on a phone"
        # And the unsubscribe button works without JavaScript
        phone.get_by_role("button", name="Unsubscribe").click()
        expect(phone.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    finally:
        context.close()
