"""The one place where errors become HTTP answers: JSON for API clients, a friendly page for browsers.

- PortalError subclasses answer with their own status and message (written for the user).
- A signed-out caller (portal_common.web.identity.SignedOut) asking for a page in a browser is sent
  to the portal's sign-in page, which brings them back here after. A browser's form sent after the
  session ended gets a 401 page saying nothing was sent, with a button to sign in again and come
  back to the form's page (the intake form keeps what was typed); anything else is a 401.
- Validation errors (pydantic / Powertools request validation) answer 422 with each field's problem.
- AWS faults worth retrying (throttling, 5xx, timeouts, no connection) answer 503 with Retry-After,
  also when a library wrapped them in its own error (Powertools' parameters and idempotency do).
- Anything else is ours: logged with the correlation id, answered 500 showing only that id.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError
from pydantic import ValidationError

from portal_common.errors import PortalError, ServiceUnavailable
from portal_common.observability import logger
from portal_common.web.identity import SignedOut
from portal_common.web.negotiation import header, wants_json
from portal_common.web.pages import SECURITY_HEADERS, redirect, render

RETRYABLE_AWS_CODES = {  # botocore's own throttling and transient codes (retries.standard), plus 5xx names
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "InternalError",
    "InternalServerError",
    "InternalFailure",
    "SlowDown",
    "TransactionInProgressException",
}

PAGE_TITLES = {
    400: "The request could not be read",
    401: "Please sign in",
    403: "This is not allowed",
    404: "We could not find that",
    405: "This action is not available here",
    409: "This already exists",
    410: "This link has expired",
    413: "This is too large",
    415: "This kind of content is not accepted",
    422: "Some fields need attention",
    500: "Something went wrong on our side",
    503: "Please try again in a moment",
}


def retryable_aws_fault(exc: BaseException) -> str | None:
    """The AWS fault worth retrying behind ``exc`` (itself, or what it was raised from or while
    handling), else None: a throttling or server-side error code, an HTTP 5xx, a timeout or a
    connection that failed (botocore's ConnectionError covers connect timeouts and unreachable
    endpoints; its HTTPClientError read timeouts and closed connections)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            code = str(current.response.get("Error", {}).get("Code", ""))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code in RETRYABLE_AWS_CODES or status >= 500:
                return code or str(status)
        elif isinstance(current, (ConnectionError, HTTPClientError)):
            return type(current).__name__
        current = current.__cause__ or current.__context__
    return None


def field_errors_of(errors: list[Any]) -> dict[str, str]:
    """pydantic's error list as {field: message}, without echoing the input back."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(loc) or "request"
        msg = str(err.get("msg", "is not valid"))
        fields.setdefault(name, msg.removeprefix("Value error, "))
    return fields


def error_answer(
    app: APIGatewayHttpResolver,
    status: int,
    code: str,
    message: str,
    *,
    field_errors: dict[str, str] | None = None,
    next_step: str | None = None,
    retry_after: int | None = None,
    action: tuple[str, str] | None = None,
) -> Response:
    """``action``: (url, label) of the page's button to the way on (pages only)."""
    correlation_id = logger.get_correlation_id() or "unknown"
    headers = {"X-Correlation-Id": correlation_id}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if wants_json(app.current_event):
        error: dict[str, Any] = {"code": code, "message": message, "correlation_id": correlation_id}
        if field_errors:
            error["fields"] = field_errors
        if next_step:
            error["next_step"] = next_step
        body = {"error": error}
        return Response(
            status_code=status,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps(body),
            headers={**headers, "Cache-Control": "no-store"},
        )
    html = render(
        "error.html",
        status=status,
        title=PAGE_TITLES.get(status, "Something went wrong"),
        message=message,
        field_errors=field_errors or {},
        next_step=next_step,
        correlation_id=correlation_id,
        action=action,
    )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=html,
        headers={**SECURITY_HEADERS, **headers},
    )


def form_page(event: Any, sign_in: str) -> str | None:
    """The page a form was sent from: its Referer's path and query, when that is a page of this site
    (our pages send it: Referrer-Policy same-origin) in the portal of ``sign_in``, else None."""
    portal_root = sign_in.rsplit("/", 1)[0] + "/"
    referer = urlsplit(header(event, "referer"))
    if not referer.netloc or referer.netloc != header(event, "host"):
        return None
    if not referer.path.startswith(portal_root) or "//" in referer.path or "\\" in referer.path:
        return None
    return f"{referer.path}?{referer.query}" if referer.query else referer.path


def register_error_answers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(PortalError)
    def portal_error(exc: PortalError) -> Response:
        if exc.status >= 500:
            logger.warning("answered %s: %s", exc.status, exc.code)
        return error_answer(
            app,
            exc.status,
            exc.code,
            exc.message,
            field_errors=exc.field_errors,
            next_step=exc.next_step,
            retry_after=exc.retry_after,
        )

    @app.exception_handler(SignedOut)
    def signed_out(exc: SignedOut) -> Response:
        event = app.current_event
        if event.http_method in ("GET", "HEAD") and not wants_json(event):
            raw = event.raw_event
            here = raw.get("rawPath") or event.path
            if raw.get("rawQueryString"):
                here = f"{here}?{raw['rawQueryString']}"
            return redirect(f"{exc.sign_in}?{urlencode({'next': here})}")
        if wants_json(event):
            return portal_error(exc)
        back = form_page(event, exc.sign_in)
        return error_answer(
            app,
            exc.status,
            exc.code,
            "You are signed out (your session may have ended), so this was not sent.",
            next_step="Sign in again to go back to the page you were on, then send it again.",
            action=(f"{exc.sign_in}?{urlencode({'next': back})}" if back else exc.sign_in, "Sign in again"),
        )

    @app.exception_handler(RequestValidationError)
    def request_invalid(exc: RequestValidationError) -> Response:
        return error_answer(
            app,
            422,
            "validation_failed",
            "Some fields need attention",
            field_errors=field_errors_of(list(exc.errors())),
        )

    @app.exception_handler(ValidationError)
    def model_invalid(exc: ValidationError) -> Response:
        return error_answer(
            app,
            422,
            "validation_failed",
            "Some fields need attention",
            field_errors=field_errors_of(exc.errors(include_input=False)),  # type: ignore[arg-type]
        )

    def service_unavailable(fault: str) -> Response:
        logger.warning("AWS fault, answered 503", extra={"aws_error": fault})
        retry = ServiceUnavailable()
        return error_answer(app, 503, retry.code, retry.message, retry_after=retry.retry_after)

    @app.exception_handler(ClientError)
    def aws_client_error(exc: ClientError) -> Response:
        fault = retryable_aws_fault(exc)
        return service_unavailable(fault) if fault else unknown_error(exc)

    @app.exception_handler(BotoCoreError)
    def aws_transport_error(exc: BotoCoreError) -> Response:
        fault = retryable_aws_fault(exc)
        return service_unavailable(fault) if fault else unknown_error(exc)

    @app.exception_handler(Exception)
    def unknown_error(exc: Exception) -> Response:
        fault = retryable_aws_fault(exc)  # e.g. Powertools' GetParameterError around a throttled call
        if fault:
            return service_unavailable(fault)
        logger.exception("unhandled error")
        return error_answer(
            app,
            500,
            "internal_error",
            "Something went wrong on our side. If it happens again, quote the reference below.",
        )

    @app.not_found
    def not_found(_exc: Exception) -> Response:
        return error_answer(app, 404, "not_found", "There is nothing at this address.")
