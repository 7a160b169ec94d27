"""$default (the portals' HTTP API): every request that no route matches.

An HTTP API matches a route's path exactly, and a route may not end in a slash, so ``/partners/``
would never reach the Partners home: a GET (or HEAD) of a path with a trailing slash is sent, 308,
to the same path without it. Anything else is a 404 in the caller's terms: a page with the portals'
addresses for a browser, JSON for an API client (portal_common.web.errors)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from portal_common.web.app import entrypoint, portal_app
from portal_common.web.errors import error_answer
from portal_common.web.pages import redirect

app = portal_app()


@app.not_found
def not_found(_exc: Exception) -> Response[Any]:
    event = app.current_event
    path = event.raw_event.get("rawPath") or event.path
    stripped = path.rstrip("/")
    # never //host or /\host: a browser reads those as another site's address (an open redirect)
    local = stripped.startswith("/") and "//" not in path and "\\" not in path
    if event.http_method in ("GET", "HEAD") and local and stripped != path:
        query = event.raw_event.get("rawQueryString")
        return redirect(f"{stripped}?{query}" if query else stripped, status=308)
    return error_answer(
        app,
        404,
        "not_found",
        "There is nothing at this address.",
        next_step="The Partners portal is at /partners, Leadworks at /leadworks.",
    )


lambda_handler = entrypoint(app)
