"""The Partners portal in Chromium, as the demo partner: filter the proposals, open one, switch its
tabs, open an image full size; then send us an RPH with a photo and find it in the CRM log,
labelled "external user"."""

from __future__ import annotations

import io
import re
import uuid

from playwright.sync_api import Page, expect

from local.portals.partners import DEMO_PARTNER, DEMO_PASSWORD
from tests.support.local_stack import LocalStackProcess


def sign_in_as_demo_partner(page: Page) -> None:
    page.goto("/partners/sign-in")
    page.get_by_label("Email address").fill(DEMO_PARTNER["email"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .account")).to_contain_text(DEMO_PARTNER["email"])


def open_the_rph_form_as_demo_partner(page: Page) -> None:
    sign_in_as_demo_partner(page)
    page.get_by_role("link", name="Send us a job (RPH)").first.click()
    expect(page.get_by_role("heading", name="Send us a job (new RPH)")).to_be_visible()


def photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 90, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_the_demo_partner_filters_opens_a_proposal_and_its_images(page: Page, local_stack: LocalStackProcess) -> None:
    # Given the demo partner, signed in
    sign_in_as_demo_partner(page)
    page.get_by_role("link", name="Proposals").first.click()
    rows = page.locator("#proposal-rows tr")
    # Then only the proposals sent to it are listed (the unsent one and the other partner's are not)
    expect(rows).to_have_count(3)
    expect(page.get_by_text("Patio pavers")).to_have_count(0)
    expect(page.get_by_text("Roof gutter repair")).to_have_count(0)
    # When it filters by account owner
    page.get_by_label("Account owner").select_option("Dana Owner")
    page.get_by_role("button", name="Apply filters").click()
    # Then only that owner's proposals remain
    expect(rows).to_have_count(2)
    expect(page.get_by_role("link", name="EP-DEMO-002")).to_have_count(0)
    # When it refines the rows shown with the search bar
    page.get_by_label("Search the proposals shown").fill("driveway")
    expect(page.locator("#proposal-rows tr:visible")).to_have_count(1)
    # When it opens the proposal
    page.get_by_role("link", name="EP-DEMO-001").click()
    expect(page.get_by_role("heading", name="Proposal EP-DEMO-001")).to_be_visible()
    main = page.get_by_role("tabpanel", name="Main")
    expect(main).to_contain_text("Smith Family Trust")
    expect(main).to_contain_text("Alex Manager")
    expect(main).to_contain_text("+1 212 555 0100")
    # When it switches to Products
    page.get_by_role("tab", name="Products").click()
    products = page.get_by_role("tabpanel", name="Products")
    expect(products).to_be_visible()
    expect(products).to_contain_text("Asphalt paving (sq ft)")
    expect(products).to_contain_text("Potholes near the entrance")
    expect(main).to_be_hidden()
    # When it switches to the Images gallery and opens an image
    page.get_by_role("tab", name=re.compile("Images gallery")).click()
    gallery = page.get_by_role("tabpanel", name=re.compile("Images gallery"))
    expect(gallery.get_by_role("img")).to_have_count(3)
    gallery.get_by_role("link").first.click()
    # Then the image is shown full size (a short-lived presigned URL of the original)
    expect(page.get_by_role("heading", name="Image 1 of 3")).to_be_visible()
    full = page.locator("#full-image")
    expect(full).to_be_visible()
    page.wait_for_function("document.getElementById('full-image').complete")
    assert page.eval_on_selector("#full-image", "img => img.naturalWidth") == 640
    assert "X-Amz-Expires=300" in (full.get_attribute("src") or "")


def test_the_demo_partner_sends_an_rph_with_a_photo_and_the_crm_gets_it_labelled(
    page: Page, local_stack: LocalStackProcess
) -> None:
    customer = f"Riley {uuid.uuid4().hex[:8]}"
    # Given the demo partner on the RPH form
    open_the_rph_form_as_demo_partner(page)
    # When it types the customer, then uploads a photo (straight to the bucket, back to the form)
    page.get_by_label("Customer name").fill(customer)
    page.get_by_label("Add a photo").set_input_files(
        {"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    )
    page.get_by_role("button", name="Upload photo").click()
    # Then the photo is on the form, and what was typed is still there
    expect(page.get_by_text("1 photo added.")).to_be_visible()
    expect(page.get_by_label("Customer name")).to_have_value(customer)
    # When it forgets the ZIP code and sends
    page.get_by_label("Email").fill("riley@example.com")
    page.get_by_label("Street address").fill("77 Oak Avenue")
    page.get_by_label("City").fill("Albany")
    page.get_by_label("State").fill("NY")
    page.get_by_label("Problem description").fill("The retaining wall behind the garage is leaning.")
    page.get_by_role("button", name="Send the RPH").click()
    # Then the error is beside the ZIP field, nothing typed is lost, the photo is still there
    expect(page.locator("#zip-error")).to_have_text("Enter the ZIP code")
    expect(page.get_by_label("Problem description")).to_have_value("The retaining wall behind the garage is leaning.")
    expect(page.get_by_text("1 photo added.")).to_be_visible()
    # When it gives the ZIP code and sends again
    page.get_by_label("ZIP code").fill("12207")
    page.get_by_role("button", name="Send the RPH").click()
    # Then it sees its RPH, labelled "external user", with the photo
    expect(page.get_by_text("Thank you: we have your RPH")).to_be_visible()
    expect(page.get_by_text("labelled “external user”")).to_be_visible()
    expect(page.get_by_role("img", name="Photo 1")).to_be_visible()
    rph_id = page.get_by_role("heading", name=re.compile(r"^RPH ")).inner_text().removeprefix("RPH ")
    # And the CRM log has it, labelled "external user", with the photo
    event = local_stack.wait_for_event(lambda e: e.get("type") == "rph.created" and e["data"].get("rph_id") == rph_id)
    assert event["actor"]["label"] == "external user" and event["data"]["label"] == "external user"
    assert event["data"]["customer_name"] == customer
    assert [p["content_type"] for p in event["data"]["photos"]] == ["image/jpeg"]


def test_an_rph_sent_after_the_session_ended_is_sent_after_signing_in_again_with_nothing_retyped(
    page: Page, local_stack: LocalStackProcess
) -> None:
    customer = f"Morgan {uuid.uuid4().hex[:8]}"
    # Given the demo partner filling in the RPH form (its address names its draft)
    open_the_rph_form_as_demo_partner(page)
    expect(page).to_have_url(re.compile(r"/partners/rph/new\?draft=[0-9a-f]+$"))
    page.get_by_label("Customer name").fill(customer)
    page.get_by_label("Email").fill("morgan@example.com")
    page.get_by_label("Street address").fill("5 Birch Lane")
    page.get_by_label("City").fill("Albany")
    page.get_by_label("State").fill("NY")
    page.get_by_label("ZIP code").fill("12207")
    page.get_by_label("Problem description").fill("Gutter torn off in the storm.")
    # When the session ends before it sends
    page.context.clear_cookies(name="__Host-partners-session")
    page.get_by_role("button", name="Send the RPH").click()
    # Then the page says nothing was sent
    expect(page.get_by_role("heading", name="Please sign in")).to_be_visible()
    expect(page.get_by_text("so this was not sent")).to_be_visible()
    # When it signs in again from there
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email address").fill(DEMO_PARTNER["email"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Then it is back on the form with everything it typed, and sending works
    expect(page.get_by_role("heading", name="Send us a job (new RPH)")).to_be_visible()
    expect(page.get_by_label("Customer name")).to_have_value(customer)
    expect(page.get_by_label("Problem description")).to_have_value("Gutter torn off in the storm.")
    page.get_by_role("button", name="Send the RPH").click()
    expect(page.get_by_text("Thank you: we have your RPH")).to_be_visible()
    rph_id = page.get_by_role("heading", name=re.compile(r"^RPH ")).inner_text().removeprefix("RPH ")
    event = local_stack.wait_for_event(lambda e: e.get("type") == "rph.created" and e["data"].get("rph_id") == rph_id)
    assert event["data"]["customer_name"] == customer
