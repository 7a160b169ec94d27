"""GET /payments/receipts/{token} (public, the receipt link of the page and the receipt email): a
short-lived presigned URL of the receipt PDF (303 for browsers, JSON for API clients). Sends the
``downloaded`` activity."""

from pathlib import Path

from aws_lambda_powertools.event_handler import Response, content_types
from card_payments import links, receipts

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.identity import request_actor
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get(
    "/payments/receipts/<token>",
    responses=docs.merge(
        docs.redirect("Redirect to the receipt PDF (presigned, valid a few minutes)"),
        docs.json_only(description="API clients: the PDF's URL and for how many seconds it is valid"),
    ),
)
def download_receipt(token: str):  # type: ignore[no-untyped-def]  # a redirect, or JSON for API clients
    number = links.invoice_of_receipt_link(token)
    url = receipts.download_for_customer(number, request_actor(app, "customer", None))
    if wants_json(app.current_event):
        body = {"url": url, "expires_in": receipts.DOWNLOAD_SECONDS}
        return Response(200, content_types.APPLICATION_JSON, body, {"Cache-Control": "no-store"})
    return redirect(url)


lambda_handler = entrypoint(app)
