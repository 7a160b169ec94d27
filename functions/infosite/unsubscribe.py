"""The unsubscribe link of the nurture emails, on a function URL.

GET  /?token=...  a confirmation page; changes nothing (mail scanners follow links).
POST /?token=...  from that page (CSRF-checked): unsubscribes, answers a page.
POST /?token=...  body ``List-Unsubscribe=One-Click`` (RFC 8058, from the mail client, no cookies):
                  unsubscribes, answers 200 with no redirect.
"""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from infosite.one_click import is_one_click
from infosite.unsubscribing import unsubscribe, unsubscribe_page

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, function_url_app
from portal_common.web.forms import body_bytes, issue_csrf, read_form
from portal_common.web.identity import request_actor
from portal_common.web.negotiation import header
from portal_common.web.pages import SECURITY_HEADERS, page

app = function_url_app(templates=Path(__file__).parent / "templates")
Token = Annotated[str, Query(max_length=2048)]


@app.get("/", responses=docs.page("The page to confirm"))
def confirm(token: Token = "") -> Response[str]:
    view = unsubscribe_page(token)
    csrf_token, csrf_cookie = issue_csrf(app)  # type: ignore[arg-type]
    cookies = [csrf_cookie] if csrf_cookie else []
    return page("infosite/unsubscribe_confirm.html", view=view, token=token, csrf_token=csrf_token, cookies=cookies)


@app.post(
    "/",
    responses={
        200: {
            "description": "Unsubscribed: a page, or plain text for a mail client's one-click (RFC 8058) post",
            "content": {"text/html": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}},
        }
    },
    openapi_extensions=docs.form_body(
        {"type": "object", "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}},
        csrf=False,
    ),
)
def confirmed(token: Token = "") -> Response[str]:
    actor = request_actor(app, "contact", None, "info site")  # type: ignore[arg-type]
    if is_one_click(header(app.current_event, "content-type"), body_bytes(app)):  # type: ignore[arg-type]
        unsubscribe(token, actor, "one-click")
        return Response(
            status_code=200,
            content_type="text/plain; charset=utf-8",
            body="You are unsubscribed from our promotional emails.\n",
            headers=SECURITY_HEADERS,
        )
    read_form(app)  # type: ignore[arg-type]  # the page's own POST: CSRF-checked
    result = unsubscribe(token, actor, "page")
    return page("infosite/unsubscribed.html", result=result)


lambda_handler = entrypoint(app)
