"""Requests and answers of the peer apps: Chalice's Request in, Chalice's Response out; pages with
Jinja2 (autoescaped, one base layout), forms with their CSRF token, JSON for API clients."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from chalice import Response
from chalicelib import signing
from chalicelib.errors import BadRequest, PortalError, Unauthorized
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError

ROOT = Path(__file__).resolve().parents[3]
# The peers render our own templates where theirs would be the same (the same search path as the
# portal's function: its templates folder, then the layer's), and keep here only the pages whose
# context differs in the peer's idiom (plain dicts, not our models).
PEER_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LAYER_TEMPLATES = [ROOT / "layers" / "common" / "portal_common" / part / "templates" for part in ("", "auth", "intake")]
JINJA = Environment(
    loader=FileSystemLoader([str(PEER_TEMPLATES), *(str(path) for path in LAYER_TEMPLATES)]),
    autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
JINJA.globals.update(company_name=os.environ.get("COMPANY_NAME", ""), logo_url=os.environ.get("LOGO_URL", ""))


def dated(item: dict[str, Any], *fields: str) -> dict[str, Any]:
    """A stored record with its ISO-8601 fields as datetimes: what the portals' templates format."""
    return {**item, **{f: datetime.fromisoformat(item[f]) for f in fields if isinstance(item.get(f), str)}}


def listing(**fields: Any) -> SimpleNamespace:
    """A page of a list for a template (``page.items`` must not be a dict's method)."""
    return SimpleNamespace(**fields)


def use_templates_of(portal: str) -> None:
    """Search the portal's own templates (functions/<portal>/templates) after the peer's."""
    JINJA.loader = FileSystemLoader(
        [str(PEER_TEMPLATES), str(ROOT / "functions" / portal / "templates"), *(str(p) for p in LAYER_TEMPLATES)]
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
ModelT = TypeVar("ModelT", bound=BaseModel)


class Identity(BaseModel):
    kind: str
    subject_id: str
    user_sub: str
    email: str
    session_id: str


def header(request: Any, name: str) -> str:
    return request.headers.get(name) or ""


def wants_json(request: Any) -> bool:
    accept = header(request, "accept").lower()
    if "text/html" in accept:
        return False
    return "application/json" in accept or "application/json" in header(request, "content-type").lower()


def query(request: Any, name: str, default: str = "") -> str:
    return (request.query_params or {}).get(name, default)


def origin(request: Any) -> str:
    return f"{header(request, 'x-forwarded-proto') or 'https'}://{header(request, 'host')}"


def cookie(request: Any, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header(request, "cookie"))
    except CookieError:
        return None
    morsel = jar.get(f"__Host-{name}")
    return morsel.value if morsel is not None and morsel.value else None


def identity(request: Any, kind: str) -> Identity:
    """The signed-in caller the authorizer let in (its context), if of this kind."""
    try:
        who = Identity.model_validate(request.context.get("authorizer") or {})
    except ValidationError:
        raise Unauthorized("Please sign in.") from None
    if who.kind != kind:
        raise PortalError("This page is not for you.")
    return who


def actor(request: Any, kind: str, actor_id: str | None, label: str | None = None) -> dict[str, Any]:
    source = request.context.get("identity") or {}
    return {
        "kind": kind,
        "id": actor_id,
        "label": label,
        "source_ip": source.get("sourceIp"),
        "user_agent": (header(request, "user-agent") or "")[:300] or None,
    }


def crm_actor(request: Any) -> dict[str, Any]:
    source = request.context.get("identity") or {}
    return actor(request, "crm", source.get("userArn") or source.get("userId") or "crm")


def read_json(request: Any) -> dict[str, Any]:
    try:
        doc = json.loads(request.raw_body or b"{}")
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise BadRequest("The request body must be a JSON object.")
    return doc


def csrf_name(request: Any) -> str:
    """Each part of the site has its own CSRF cookie, named after its path's first segment."""
    section = str(request.context.get("resourcePath") or "/").lstrip("/").split("/", 1)[0]
    return f"{section}-csrf" if section and section != "info" else "csrf"  # the Info site: function URLs at /


def issue_csrf(request: Any, ring: signing.KeyRing, binding: str = "anonymous") -> tuple[str, str | None]:
    name = csrf_name(request)
    return signing.issue_csrf(ring, cookie(request, name), binding, name)


def read_form(request: Any, ring: Callable[[], signing.KeyRing], binding: str = "anonymous") -> dict[str, str]:
    """The fields of a form post (its CSRF token checked with the app's key ring) or of a JSON body."""
    if "application/json" in header(request, "content-type"):
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in read_json(request).items()}
    fields: dict[str, str] = {}
    for key, value in parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True):
        fields.setdefault(key, value)
    signing.verify_csrf(ring(), cookie(request, csrf_name(request)), fields.pop("csrf_token", None), binding)
    return fields


def validate(model: type[ModelT], data: dict[str, Any]) -> tuple[ModelT | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_input=False):
            errors.setdefault(".".join(str(p) for p in err["loc"]) or "request", err["msg"])
        return None, errors


def parse(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    found, errors = validate(model, data)
    if found is None:
        from chalicelib.errors import ValidationFailed

        raise ValidationFailed("Some fields need attention.", field_errors=errors)
    return found


def render(template: str, **context: Any) -> str:
    return JINJA.get_template(template).render(**context)


def page(template: str, status: int = 200, cookies: list[str] | None = None, **context: Any) -> Response:
    headers: dict[str, Any] = {**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=render(template, **context), status_code=status, headers=headers)


def json_response(doc: Any, status: int = 200, cookies: list[str] | None = None) -> Response:
    body = doc.model_dump_json() if isinstance(doc, BaseModel) else json.dumps(doc, default=str)
    headers: dict[str, Any] = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=body, status_code=status, headers=headers)


def redirect(location: str, cookies: list[str] | None = None, status: int = 303) -> Response:
    headers: dict[str, Any] = {"Location": location, "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=status, headers=headers)


def session_cookie(portal: str, value: str, max_age: int) -> str:
    return f"__Host-{portal}-session={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}"


def error_answer(request: Any, exc: PortalError) -> Response:
    """A PortalError as JSON (API clients) or as the error page (browsers)."""
    if request is not None and not wants_json(request):
        return page("error.html", exc.status, title="Sorry", message=exc.message, next_step=exc.next_step)
    body = {"error": {"code": exc.code, "message": exc.message}}
    if exc.field_errors:
        body["error"]["field_errors"] = exc.field_errors
    return json_response(body, exc.status)


def answer_errors(app: Any) -> None:
    """Chalice middleware: every PortalError raised by a route becomes its answer."""

    @app.middleware("http")
    def portal_errors(event: Any, get_response: Any) -> Response:
        try:
            return get_response(event)
        except PortalError as exc:
            return error_answer(event, exc)
