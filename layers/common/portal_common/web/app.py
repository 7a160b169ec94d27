"""The resolver every portal function uses, and the Lambda entry point around it.

A handler module is:

    app = portal_app()

    @app.get("/partners/proposals")
    def list_proposals(...) -> ...:
        return domain.list_proposals(...)

    lambda_handler = entrypoint(app)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, LambdaFunctionUrlResolver
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, ResponseBuilder, Route
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_common.errors import PortalError
from portal_common.observability import logger, metrics, tracer
from portal_common.web.errors import register_error_answers
from portal_common.web.identity import refuse_signed_out
from portal_common.web.openapi_docs import describe_errors, expand_form_bodies
from portal_common.web.pages import add_template_dir
from portal_common.web.request_guard import check_request


class _PortalRoutes:
    """What our resolvers add to Powertools': a caller the portal's authorizer marked signed out is
    refused before any route runs (portal_common.web.identity.refuse_signed_out); requests too large
    or unreadable for their route are answered 4xx before request validation reads them
    (portal_common.web.request_guard); and the OpenAPI description lists the error answers every
    route can give.

    Why ``_call_route`` and not a middleware: Powertools always puts its request validation first
    in a route's middleware stack (Route._build_middleware_stack), ahead of every ``app.use``
    middleware, so no public hook runs before validation reads the body. The override is pinned by
    the layer's exact Powertools version and covered by tests/unit/test_request_guard.py."""

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        try:
            refuse_signed_out(self.current_event.raw_event)  # type: ignore[attr-defined]
            check_request(self.current_event, bool(route.dependant.body_params))  # type: ignore[attr-defined]
        except PortalError as exc:
            answer = self._call_exception_handler(exc, route)  # type: ignore[attr-defined]
            if answer is not None:
                return answer  # type: ignore[no-any-return]
            raise
        return super()._call_route(route, route_arguments)  # type: ignore[misc]

    def get_openapi_json_schema(self, **kwargs: Any) -> str:
        document = json.loads(super().get_openapi_json_schema(**kwargs))  # type: ignore[misc]
        return json.dumps(describe_errors(expand_form_bodies(document)))


class PortalResolver(_PortalRoutes, APIGatewayHttpResolver):
    pass


class PortalFunctionUrlResolver(_PortalRoutes, LambdaFunctionUrlResolver):
    pass


def portal_app(templates: Path | None = None) -> APIGatewayHttpResolver:
    """A payload-v2 resolver with request validation (and so OpenAPI) and our error answers."""
    app = PortalResolver(enable_validation=True, strip_prefixes=None)
    register_error_answers(app)
    if templates is not None:
        add_template_dir(templates)
    return app


def function_url_app(templates: Path | None = None) -> LambdaFunctionUrlResolver:
    """The same for a function URL (pages that email links land on): payload v2, route key $default."""
    app = PortalFunctionUrlResolver(enable_validation=True, strip_prefixes=None)
    register_error_answers(app)  # type: ignore[arg-type]  # same event shape (payload v2)
    if templates is not None:
        add_template_dir(templates)
    return app


def entrypoint(app: ApiGatewayResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler: correlation id (the API's request id) in every log line, tracing, metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
