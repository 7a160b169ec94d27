"""JSON answers for API clients (pages have portal_common.web.pages)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel
from pydantic_core import to_json


def json_answer(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> Response[str]:
    body = model.model_dump_json() if isinstance(model, BaseModel) else to_json(model).decode()
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )
