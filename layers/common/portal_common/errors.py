"""Typed domain errors. Each knows its HTTP status; portal_common.web.errors turns them into answers.

Raise these from domain and data-access code (``raise LeadAlreadyExists(...) from exc``). Their
message is written for the person at the other end: it is shown as is, so it never carries
internals. Anything else that escapes is an unknown error: logged with the correlation id and
answered with a 500 that shows only that id.
"""

from __future__ import annotations


class PortalError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Something went wrong"

    def __init__(
        self,
        message: str | None = None,
        *,
        field_errors: dict[str, str] | None = None,
        next_step: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.field_errors = field_errors or {}
        self.next_step = next_step
        self.retry_after = retry_after


class BadRequest(PortalError):
    status, code, title = 400, "bad_request", "The request could not be read"


class ValidationFailed(BadRequest):
    status, code, title = 422, "validation_failed", "Some fields need attention"


class Unauthorized(PortalError):
    status, code, title = 401, "unauthorized", "Please sign in"


class Forbidden(PortalError):
    status, code, title = 403, "forbidden", "This is not allowed"


class CsrfRejected(Forbidden):
    code, title = "csrf_rejected", "This form has expired"


class LinkInvalid(Forbidden):
    code, title = "link_invalid", "This link is not valid"


class NotFound(PortalError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(PortalError):
    status, code, title = 409, "conflict", "This already exists"


class Gone(PortalError):
    status, code, title = 410, "gone", "This link has expired"


class LinkExpired(Gone):
    code = "link_expired"


class PayloadTooLarge(PortalError):
    status, code, title = 413, "payload_too_large", "This is too large"


class UnsupportedMediaType(PortalError):
    status, code, title = 415, "unsupported_media_type", "This kind of content is not accepted"


class ServiceUnavailable(PortalError):
    """A dependency failed in a way worth retrying; nothing was half-written."""

    status, code, title = 503, "service_unavailable", "Please try again in a moment"

    def __init__(self, message: str | None = None, *, retry_after: int = 2, **kwargs: object) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)  # type: ignore[arg-type]
