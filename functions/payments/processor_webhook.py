"""POST /payments/webhooks/processor (public, signed by the processor): what became of a charge.
Settles an attempt nobody settled yet (e.g. after a timeout); verified, idempotent per event."""

from pathlib import Path

from card_payments import checkout

from portal_common.web.app import entrypoint, portal_app
from portal_common.web.forms import body_bytes
from portal_common.web.negotiation import header

app = portal_app(templates=Path(__file__).parent / "templates")


@app.post(
    "/payments/webhooks/processor",
    openapi_extensions={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "parameters": [{"name": "processor-signature", "in": "header", "required": True, "schema": {"type": "string"}}],
    },
)
def processor_webhook() -> dict[str, str]:
    body, signature = body_bytes(app), header(app.current_event, "processor-signature")
    return {"result": checkout.receive_webhook(body, signature, app.lambda_context)}


lambda_handler = entrypoint(app)
