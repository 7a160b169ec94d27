"""GET /crm/payments/invoices/{number} (CRM, IAM): the invoice, its attempts and a fresh payment link."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from card_payments import invoices, links
from card_payments.models import InvoiceDetail

from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


@app.get("/crm/payments/invoices/<number>")
def get_invoice(number: Annotated[str, PathParam(pattern=NUMBER)]) -> InvoiceDetail:
    return invoices.invoice_detail(number, links.portal_url(app))


lambda_handler = entrypoint(app)
