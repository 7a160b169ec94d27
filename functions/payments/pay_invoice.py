"""POST /payments/pay/{token} (public): one payment attempt with the token the processor's hosted card
form gave the page. Charged at most once; every attempt is recorded and sent to the CRM."""

from pathlib import Path

from card_payments import checkout, invoices, links, pages
from card_payments.models import PayForm, PayRequest, PayResult

from portal_common.errors import ValidationFailed
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.forms import read_form, validate
from portal_common.web.identity import request_actor

app = portal_app(templates=Path(__file__).parent / "templates")


@app.post(
    "/payments/pay/<token>",
    responses={
        status: {
            "description": description,
            "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"model": PayResult}},
        }
        for status, description in {
            200: "Paid",
            202: "Being confirmed",
            402: "Not paid (declined, or failed)",
            409: "Blocked (too many attempts)",
            422: "The card's brand is refused",
            503: "The card processor is unavailable",
        }.items()
    },
    openapi_extensions=docs.form_body(PayForm),
)
def pay_invoice(token: str):  # type: ignore[no-untyped-def]  # a page or JSON: see responses
    number = links.invoice_of_pay_link(token)
    form, problems = validate(PayForm, read_form(app))
    if form is None:
        raise ValidationFailed("The payment form was incomplete. Please reload the page.", field_errors=problems)
    request = PayRequest(
        invoice_number=number,
        attempt_id=form.attempt_id,
        card_token=form.card_token,
        actor=request_actor(app, "customer", None),
        portal_url=links.portal_url(app),
    )
    result = checkout.pay_once(request, app.lambda_context)
    return pages.attempt_answer(app, invoices.get_invoice(number), token, result)


lambda_handler = entrypoint(app)
