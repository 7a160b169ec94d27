"""What the OpenAPI description says a route answers, beyond what Powertools reads from its signature.

Powertools describes a route from its type annotations: a handler that answers a page, a redirect
or ``json_answer(...)`` would be described as "200, JSON of any shape". These helpers describe what
it really answers, for the route decorator:

    @app.get("/partners/rph/<rph_id>", responses=docs.page_or_json(RphView))
    @app.post("/partners/rph", responses=docs.form_post(created=RphView), openapi_extensions=docs.form_body(RphForm))

and ``describe_errors`` adds, to every operation, the error answers of portal_common.web.errors
(and of API Gateway itself, whose answers are ``{"message": ...}``), which any route can give.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict

HTML = {"text/html": {"schema": {"type": "string"}}}
ERROR_STATUSES = {
    400: "The request could not be read",
    401: "Not signed in (from the API's authorizer, or the session has ended)",
    403: "Not allowed: the authorizer refused the session, a form's CSRF token, a tampered link",
    404: "Not found, or not yours",
    405: "Not available in this state",
    409: "Conflicts with the current state",
    410: "The link has expired",
    413: "The request is too large",
    415: "The request body is of a kind this route does not read",
    422: "Some fields need attention (a page shows the form again with each field's problem)",
    503: "A service we depend on is busy; try again (Retry-After)",
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    correlation_id: str
    fields: dict[str, str] | None = None
    next_step: str | None = None


class ErrorAnswer(BaseModel):
    """Every error our functions answer to an API client (portal_common.web.errors)."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


class GatewayAnswer(BaseModel):
    """API Gateway's own answers (authorizer refusals, unknown routes, an integration failure)."""

    message: str


def _content(model: type[BaseModel] | None, html: bool) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"model": model} if model else {"schema": {"type": "object"}}}
    if html:
        content.update(copy.deepcopy(HTML))
    return content


def page(description: str = "The page") -> dict[int, Any]:
    """A page for browsers only (a form to fill in)."""
    return {200: {"description": description, "content": copy.deepcopy(HTML)}}


def page_or_json(
    json: type[BaseModel] | None = None, description: str = "The page; API clients (Accept: JSON) get JSON"
) -> dict[int, Any]:
    """A GET page that answers JSON to API clients."""
    return {200: {"description": description, "content": _content(json, html=True)}}


def json_only(model: type[BaseModel] | None = None, status: int = 200, description: str = "Done") -> dict[int, Any]:
    """A route for API clients only (the CRM's routes)."""
    return {status: {"description": description, "content": _content(model, html=False)}}


def redirect(description: str, status: int = 303) -> dict[int, Any]:
    """A redirect: no body (an empty content map, or Powertools would describe the handler's return type)."""
    return {
        status: {
            "description": description,
            "headers": {"Location": {"description": "where to go next", "schema": {"type": "string"}}},
            "content": {},
        }
    }


def form_post(
    json: type[BaseModel] | None = None,
    *,
    created: type[BaseModel] | None = None,
    then: str = "Browsers go on to the next page",
) -> dict[int, Any]:
    """A form post: browsers are sent on (303); API clients get JSON (200, or 201 when it creates)."""
    answers = redirect(then)
    if created is not None:
        answers.update(json_only(created, 201, "Created (API clients)"))
    else:
        answers.update(json_only(json, 200, "Done (API clients)"))
    return answers


def merge(*parts: dict[int, Any]) -> dict[int, Any]:
    merged: dict[int, Any] = {}
    for part in parts:
        merged.update(copy.deepcopy(part))
    return merged


NO_FIELDS: dict[str, Any] = {"type": "object", "properties": {}}


FORM_MARK = "x-portal-form-body"
_forms: dict[str, tuple[type[BaseModel] | dict[str, Any], bool, dict[str, Any] | None]] = {}


def form_body(
    fields: type[BaseModel] | dict[str, Any], *, csrf: bool = True, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The request body of a form route that reads it itself (portal_common.web.forms.read_form), for
    ``openapi_extensions``: a urlencoded form (with the CSRF token) or the same fields as JSON.
    ``extra``: more fields ({name: schema}) the route reads beside the model's.

    Only a mark at import (a route is declared on every cold start, its description is asked for
    rarely): ``expand_form_bodies`` builds the schemas when the OpenAPI document is made."""
    key = str(len(_forms))
    _forms[key] = (fields, csrf, extra)
    return {FORM_MARK: key}


def expand_form_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation's form mark (``form_body``), replaced by its request body."""
    for operations in (document.get("paths") or {}).values():
        for operation in operations.values():
            key = operation.pop(FORM_MARK, None)
            if key is not None:
                operation["requestBody"] = _without_nulls(_request_body(*_forms[key]))
    return document


def _without_nulls(value: Any) -> Any:
    """As Powertools writes its document (exclude_none): a ``null`` is left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _request_body(fields: type[BaseModel] | dict[str, Any], csrf: bool, extra: dict[str, Any] | None) -> dict[str, Any]:
    schema = copy.deepcopy(fields) if isinstance(fields, dict) else _flat_schema(fields)
    if extra:
        schema.setdefault("properties", {}).update(copy.deepcopy(extra))
    form = copy.deepcopy(schema)
    if csrf:
        form.setdefault("properties", {})["csrf_token"] = {"type": "string", "description": "from the form's page"}
        form["required"] = sorted({*form.get("required", []), "csrf_token"})
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "application/json": {"schema": copy.deepcopy(schema)},
        },
    }


def _flat_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A form model's JSON schema, inlined (forms have flat string fields; no $refs to resolve)."""
    schema = model.model_json_schema()
    schema.pop("$defs", None)
    schema.pop("title", None)
    return schema


def _powertools_default(response: dict[str, Any]) -> bool:
    return "HTTPValidationError" in str(response.get("content")) or "ResponseValidationError" in str(response)


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation of a Powertools OpenAPI document, with the error answers any route can give."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorAnswer, GatewayAnswer):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema
    json_error: dict[str, Any] = {
        "schema": {
            "anyOf": [
                {"$ref": "#/components/schemas/ErrorAnswer"},
                {"$ref": "#/components/schemas/GatewayAnswer"},
            ]
        }
    }
    for operations in (document.get("paths") or {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                own = responses.get(str(status))
                if own is None or _powertools_default(own):
                    responses[str(status)] = {
                        "description": description,
                        "content": {"application/json": copy.deepcopy(json_error), **copy.deepcopy(HTML)},
                    }
                    continue
                # the route answers this status itself (e.g. a payment refused): that, or an error answer
                content = own.setdefault("content", {})
                own_schema = (content.get("application/json") or {}).get("schema")
                if own_schema:
                    content["application/json"] = {"schema": {"anyOf": [own_schema, *json_error["schema"]["anyOf"]]}}
                else:
                    content["application/json"] = copy.deepcopy(json_error)
                content.setdefault("text/html", copy.deepcopy(HTML["text/html"]))
    if not any(
        "HTTPValidationError" in str(op) for ops in (document.get("paths") or {}).values() for op in ops.values()
    ):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document
