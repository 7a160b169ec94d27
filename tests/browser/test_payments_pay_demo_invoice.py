"""The customer's way through the Payments portal, in Chromium: the demo invoice's link, the bank's
hosted card form (an iframe of the card processor simulator), the receipt PDF, "already paid"."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.support.local_stack import LocalStackProcess


def demo_invoice_link(stack: LocalStackProcess) -> str:
    """The demo invoice's payment link, as the home page of the local stack lists it."""
    home = httpx.get(f"{stack.url}/", timeout=30).text
    match = re.search(r'<a href="([^"]+/payments/pay/[^"]+)">Payments: pay the demo invoice', home)
    assert match, "the home page lists no demo invoice link"
    return match.group(1)


def test_pay_the_demo_invoice_download_the_receipt_then_it_is_already_paid(
    page: Page, local_stack: LocalStackProcess
) -> None:
    # Given the demo invoice's payment link
    link = demo_invoice_link(local_stack)
    page.goto(link)
    expect(page.get_by_role("heading", name="Invoice INV-DEMO-1001")).to_be_visible()
    expect(page.locator("#amount-due")).to_have_text("USD 1,250.00")
    # When the customer types the success card into the processor's hosted form and pays
    card_form = page.frame_locator("#card-frame")
    card_form.get_by_label("Card number").fill("4242 4242 4242 4242")
    card_form.get_by_label("Expiry month").fill("12")
    card_form.get_by_label("Expiry year").fill("2031")
    card_form.get_by_label("Security code (CVC)").fill("123")
    card_form.get_by_label("Name on card").fill("Dana Demo")
    card_form.get_by_role("button", name="Pay USD 1,250.00").click()
    # Then the page says the payment was received
    expect(page.locator("#payment-message")).to_contain_text("your payment was received", timeout=30_000)
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()
    # When the customer downloads the receipt
    with page.expect_download(timeout=30_000) as download:
        page.locator("#download-receipt").click()
    pdf_path = Path(download.value.path())
    # Then it is a PDF with the amount and the card's last 4
    text = "".join(p.extract_text() or "" for p in PdfReader(pdf_path).pages)
    assert "USD 1,250.00" in text and "4242" in text and "INV-DEMO-1001" in text
    assert download.value.suggested_filename == "receipt-INV-DEMO-1001.pdf"
    # When the customer opens the link again
    page.goto(link)
    # Then it is already paid (no card form), with its receipt
    expect(page.locator("#payment-message")).to_contain_text("This invoice is already paid")
    expect(page.locator("#card-frame")).to_have_count(0)
    expect(page.locator("#download-receipt")).to_be_visible()
