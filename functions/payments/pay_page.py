"""GET /payments/pay/{token} (public, reached by the invoice's signed link): the payment page —
invoice summary, amount due and the processor's hosted card form; "already paid" with the receipt
once paid. Sends the ``viewed`` activity."""

from pathlib import Path

from card_payments import invoices, links, pages
from card_payments.models import PayPageView

from portal_common.web.app import entrypoint, portal_app
from portal_common.web.identity import request_actor

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get(
    "/payments/pay/<token>",
    responses={
        200: {
            "description": "The payment page (HTML), or its content for API clients",
            "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"model": PayPageView}},
        }
    },
)
def pay_page(token: str):  # type: ignore[no-untyped-def]  # a page or JSON: see responses
    number = links.invoice_of_pay_link(token)
    invoice = invoices.invoice_for_customer(number, request_actor(app, "customer", None), "viewed")
    return pages.payment_page(app, invoice, token)


lambda_handler = entrypoint(app)
