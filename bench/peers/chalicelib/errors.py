"""Errors that become answers: the app's middleware turns them into JSON or an error page."""

from __future__ import annotations

from chalice import ChaliceUnhandledError


class PortalError(ChaliceUnhandledError):
    """Raised past Chalice's own error answers (ChaliceUnhandledError) to the app's middleware."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None, next_step: str | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.next_step = next_step


class BadRequest(PortalError):
    pass


class Unauthorized(PortalError):
    status, code = 401, "unauthorized"


class Forbidden(PortalError):
    status, code = 403, "forbidden"


class LinkInvalid(Forbidden):
    code = "link_invalid"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


class NotFound(PortalError):
    status, code = 404, "not_found"


class Conflict(PortalError):
    status, code = 409, "conflict"


class LinkExpired(PortalError):
    status, code = 410, "link_expired"


class ValidationFailed(PortalError):
    status, code = 422, "validation_failed"


class ServiceUnavailable(PortalError):
    status, code = 503, "service_unavailable"
