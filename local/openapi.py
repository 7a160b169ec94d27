"""GET /openapi.json: every HTTP route of the template with its request and response schemas.

Each HTTP function's own Powertools resolver describes its routes (from the pydantic models in its
signatures); the local runtime asks each one (a worker request, see lambda_bootstrap.py) and this
module merges the documents, so the description cannot drift from the code.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.functions import FunctionRunner, InvocationError

LOG = logging.getLogger("local.openapi")
OPENAPI_REQUEST = {"__local__": "openapi"}


def merged_openapi(runner: FunctionRunner, server_url: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "CRM portals", "version": "1.0.0", "description": "Every route of template.yaml"},
        "servers": [{"url": server_url}],
        "paths": {},
        "components": {"schemas": {}},
    }
    http_functions = [
        lid
        for lid, spec in runner.specs.items()
        if spec.function_url is not None or any(e.get("Type") == "HttpApi" for e in spec.events.values())
    ]

    def describe(logical_id: str) -> tuple[str, dict[str, Any] | None]:
        try:
            return logical_id, runner.call(logical_id, OPENAPI_REQUEST)
        except InvocationError as exc:
            LOG.warning("%s has no OpenAPI description: %s", logical_id, exc)
            return logical_id, None

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(describe, http_functions))
    for logical_id, schema in results:
        if not schema:
            continue
        prefix = "" if runner.specs[logical_id].function_url is None else f"/fn/{logical_id}"
        for path, operations in (schema.get("paths") or {}).items():
            target = document["paths"].setdefault(prefix + path if path != "/" or not prefix else prefix + "/", {})
            target.update(operations)
        document["components"]["schemas"].update((schema.get("components") or {}).get("schemas") or {})
    return document
