"""The quote form of the nurture emails, on a function URL.

GET  /?token=...  the form, prefilled from the contact (or the thank-you page if already sent).
POST /?token=...  validates; stores the request and the contact's details with the CRM event (a lead
                  for a prospect, an opportunity for a customer); thanks. The assigned users' alert
                  goes out from the outbox stream (send_quote_alert.py).
"""

from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from infosite.quote_requests import open_quote_form, prefill, submit_quote
from infosite.quotes import QuoteForm, QuoteReceipt, friendly_errors

from portal_common.errors import ValidationFailed
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, function_url_app
from portal_common.web.forms import issue_csrf, read_form, validate
from portal_common.web.identity import request_actor
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import page

app = function_url_app(templates=Path(__file__).parent / "templates")
Token = Annotated[str, Query(max_length=2048)]


def _form_page(token: str, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response[str]:
    csrf_token, csrf_cookie = issue_csrf(app)  # type: ignore[arg-type]
    return page(
        "infosite/quote_form.html",
        status,
        cookies=[csrf_cookie] if csrf_cookie else [],
        token=token,
        values=values,
        errors=errors,
        csrf_token=csrf_token,
    )


@app.get("/", responses=docs.page("The quote form (or, once sent, its thank-you page)"))
def show_form(token: Token = "") -> Response[str]:
    view = open_quote_form(token)
    if view.receipt is not None:
        return page("infosite/quote_thanks.html", receipt=view.receipt)
    return _form_page(token, prefill(view.contact), {})


@app.post(
    "/",
    responses=docs.page_or_json(QuoteReceipt, "The thank-you page; API clients get the receipt"),
    openapi_extensions=docs.form_body(QuoteForm),
)
def send_form(token: Token = "") -> Response[str]:
    fields = read_form(app)  # type: ignore[arg-type]
    form, errors = validate(QuoteForm, fields)
    if form is None:
        open_quote_form(token)  # a bad link is refused before any field error is shown
        if wants_json(app.current_event):  # API clients: the JSON error, not the form page
            raise ValidationFailed("Some fields need attention.", field_errors=friendly_errors(errors))
        return _form_page(token, fields, friendly_errors(errors), status=422)
    receipt = submit_quote(token, form, request_actor(app, "contact", None, "info site"))  # type: ignore[arg-type]
    if wants_json(app.current_event):
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=receipt.model_dump_json())
    return page("infosite/quote_thanks.html", receipt=receipt)


lambda_handler = entrypoint(app)
