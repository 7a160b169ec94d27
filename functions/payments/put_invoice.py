"""PUT /crm/payments/invoices/{number} (CRM, IAM): create or update an invoice; answers its payment link."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from card_payments import invoices, links
from card_payments.models import InvoiceIn, InvoiceWithLink

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


@app.put(
    "/crm/payments/invoices/<number>",
    responses=docs.merge(
        docs.json_only(InvoiceWithLink, 201, "Created"), docs.json_only(InvoiceWithLink, 200, "Updated (or unchanged)")
    ),
)
def put_invoice(
    number: Annotated[str, PathParam(pattern=NUMBER, description="the CRM's invoice number")],
    invoice: Annotated[InvoiceIn, Body()],
) -> Response[InvoiceWithLink]:
    result = invoices.upsert_invoice(number, invoice, links.portal_url(app))
    return Response(201 if result.created else 200, content_types.APPLICATION_JSON, result)


lambda_handler = entrypoint(app)
