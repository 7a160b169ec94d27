"""Receipts: a PDF (fpdf2) per paid invoice in ReceiptsBucket, handed out by short-lived presigned URL.

Key: receipts/<invoice number>/<charge id>.pdf — known as soon as the payment is recorded, so the PDF
can be (re)made at any time from the invoice: after the payment, or on first download if that
failed. The PDF holds the invoice, the amount, the date, the card's brand and last 4 and the
processor's reference; never more of the card.
"""

from __future__ import annotations

import unicodedata

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.errors import NotFound
from portal_common.events import Actor
from portal_common.settings import PortalSettings, load_settings

from . import money
from .brands import brand_label
from .invoices import customer_invoice, record_customer_action
from .models import Invoice, receipt_key
from .settings import ReceiptSettings

DOWNLOAD_SECONDS = 300


def filename(invoice: Invoice) -> str:
    return f"receipt-{invoice.number}.pdf"


def _latin1(text: str) -> str:
    """The PDF's core font is Latin-1: keep accents where they exist, replace what cannot be shown."""
    normalized = unicodedata.normalize("NFC", text)
    return normalized.encode("latin-1", "replace").decode("latin-1")


def render_pdf(invoice: Invoice) -> bytes:
    from fpdf import FPDF  # imported on use: only the functions that make receipts pay for it

    payment = invoice.payment
    if payment is None:
        raise NotFound("This invoice has no payment yet.")
    company = load_settings(PortalSettings).company_name
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(f"Receipt for invoice {invoice.number}"))
    pdf.set_author(_latin1(company))
    pdf.set_creator("Payments portal")
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, _latin1(company), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Payment receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ("Invoice", invoice.number),
        ("Customer", invoice.customer_name),
        ("Amount paid", money.format_amount(invoice.amount_minor, invoice.currency)),
        ("Date paid", payment.paid_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Card", f"{brand_label(payment.card.brand)} ending in {payment.card.last4}"),
        ("Expiry", f"{payment.card.exp_month:02d}/{payment.card.exp_year}"),
        ("Processor reference", payment.charge_id),
        ("Payment attempt", payment.attempt_id),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(55, 8, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    if invoice.lines:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(100, 8, "Description")
        pdf.cell(20, 8, "Qty", align="R")
        pdf.cell(0, 8, "Amount", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in invoice.lines:
            pdf.cell(100, 7, _latin1(line.description[:60]))
            pdf.cell(20, 7, f"{line.quantity.normalize():f}", align="R")
            pdf.cell(
                0, 7, money.format_amount(line.amount_minor, invoice.currency), align="R", new_x="LMARGIN", new_y="NEXT"
            )
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _latin1(f"Thank you. This receipt confirms the card payment above to {company}."))
    return bytes(pdf.output())


def store(invoice: Invoice) -> str:
    """Make the receipt PDF and put it in the bucket (same key every time: idempotent)."""
    if invoice.payment is None:
        raise NotFound("This invoice has no payment yet.")
    key = invoice.payment.receipt_key or receipt_key(invoice.number, invoice.payment.charge_id)
    aws.client("s3").put_object(
        Bucket=load_settings(ReceiptSettings).receipts_bucket,
        Key=key,
        Body=render_pdf(invoice),
        ContentType="application/pdf",
        ContentDisposition=f'attachment; filename="{filename(invoice)}"',
        ServerSideEncryption="AES256",
    )
    return key


def download_url(invoice: Invoice) -> str:
    """A presigned GET of the receipt (made first if it is missing), valid a few minutes."""
    if invoice.payment is None:
        raise NotFound("This invoice has no payment yet.")
    bucket = load_settings(ReceiptSettings).receipts_bucket
    key = invoice.payment.receipt_key or receipt_key(invoice.number, invoice.payment.charge_id)
    s3 = aws.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        store(invoice)
    return str(
        s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename(invoice)}"',
                "ResponseContentType": "application/pdf",
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
    )


def download_for_customer(invoice_number: str, actor: Actor) -> str:
    """The receipt's download URL for the customer's receipt link. The ``downloaded`` activity is sent
    once the URL is ready: a request that fails before it (S3 unavailable) sends none, and its retry one."""
    invoice = customer_invoice(invoice_number, require_paid=True)
    url = download_url(invoice)
    record_customer_action(invoice, actor, "downloaded")
    return url
