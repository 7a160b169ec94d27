"""HTTP front of the local stack: the template's HttpApi routes and function URLs on one port.

The API is SAM CLI's own emulation (LocalApigwService fed by SamLocalStackProvider/ApiProvider):
payload-v2 events, Lambda REQUEST authorizers and their context, exactly as `sam local start-api`
builds them. Only the container runner is replaced, by local.functions.FunctionRunner. Function
URLs, which SAM CLI parses but does not serve, are each a LocalApigwService with a catch-all route,
mounted at /fn/<LogicalId>/ and given the `$default` route key, stage and a lambda-url domain.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.provider import Api
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.route import Route
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from local.functions import FunctionRunner, FunctionSpec
from local.template import TEMPLATE_PATH

LOG = logging.getLogger("local.gateway")


class HttpApiService(LocalApigwService):
    """SAM CLI's API emulation, except that a request body which is not UTF-8 reaches the function
    base64-encoded (isBase64Encoded), as API Gateway sends binary payloads, instead of SAM CLI's 502."""

    def _generate_lambda_event(self, flask_request: Any, route: Route, method: str, endpoint: str) -> dict:
        data = flask_request.get_data()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            flask_request._cached_data = b""  # build the event around an empty body, then put the bytes back
            try:
                event = super()._generate_lambda_event(flask_request, route, method, endpoint)
            finally:
                flask_request._cached_data = data
            event.update(body=base64.b64encode(data).decode("ascii"), isBase64Encoded=True)
            return event
        return super()._generate_lambda_event(flask_request, route, method, endpoint)


class FunctionUrlService(HttpApiService):
    """A Lambda function URL: every method and path to one function, as AWS sends it."""

    def __init__(self, spec: FunctionSpec, runner: FunctionRunner, port: int, region: str):
        api = Api(
            routes=[
                Route(
                    function_name=spec.logical_id,
                    path="$default",
                    methods=Route.ANY_HTTP_METHODS,
                    event_type=Route.HTTP,
                    payload_format_version="2.0",
                    is_default_route=True,
                )
            ]
        )
        api.stage_name = "$default"
        super().__init__(api=api, lambda_runner=runner, port=port)
        self.domain = f"{spec.logical_id.lower()}.lambda-url.{region}.on.aws"

    def _generate_lambda_event(self, flask_request: Any, route: Route, method: str, endpoint: str) -> dict:
        event = super()._generate_lambda_event(flask_request, route, method, endpoint)
        event["routeKey"] = "$default"
        context = event.setdefault("requestContext", {})
        context.update({"routeKey": "$default", "stage": "$default", "domainName": self.domain})
        context["domainPrefix"] = self.domain.split(".", 1)[0]
        context.pop("authorizer", None)
        return event


def _http_api_not_found(_error: Exception) -> Any:
    from flask import Response

    return Response('{"message":"Not Found"}', status=404, mimetype="application/json")


def _tour_page_at_root(tour: Any, default_route: Any) -> Any:
    def root(*args: Any, **kwargs: Any) -> Any:
        from flask import request

        return tour() if request.method in ("GET", "HEAD") else default_route(*args, **kwargs)

    return root


def api_routes(template_path: Path = TEMPLATE_PATH) -> Api:
    stacks, _ = SamLocalStackProvider.get_stacks(str(template_path))
    return ApiProvider(stacks, cwd=str(template_path.parent)).api


def build_app(
    specs: dict[str, FunctionSpec],
    runner: FunctionRunner,
    port: int,
    region: str,
    dev_pages: Flask,
    template_path: Path = TEMPLATE_PATH,
) -> tuple[DispatcherMiddleware, list[str]]:
    """One WSGI app: dev pages and the API at /, each function URL at /fn/<LogicalId>/."""
    api = api_routes(template_path)
    service = HttpApiService(api=api, lambda_runner=runner, port=port)
    service.create()
    api_app: Flask = service._app
    # an HTTP API matches a route's path exactly: /partners/ is not the route /partners (SAM CLI's
    # Flask app lets a trailing slash through, which hid links that 404 on AWS)
    api_app.url_map.strict_slashes = True
    for rule in api_app.url_map.iter_rules():
        rule.strict_slashes = True
    # what no route matches goes to the template's $default route (SiteNotFoundFunction); a 404 or
    # 405 left (a dev page's own) is answered as an HTTP API would, not with SAM CLI's REST-API 403
    for code in (404, 405):
        api_app.register_error_handler(code, _http_api_not_found)
    # dev-only pages live beside the API routes (none of them starts with a portal prefix). The API's
    # $default route catches "/" too (SAM CLI adds a rule for it): there the local tour page answers
    # GET, as the dev home, and any other method still goes to the $default function
    caught_root = api_app.view_functions.get("/")
    if caught_root is not None:
        api_app.view_functions["/"] = _tour_page_at_root(dev_pages.view_functions["home"], caught_root)
    for rule in dev_pages.url_map.iter_rules():
        if rule.endpoint == "static" or (rule.rule == "/" and caught_root is not None):
            continue
        api_app.add_url_rule(
            rule.rule,
            endpoint=f"dev.{rule.endpoint}",
            view_func=dev_pages.view_functions[rule.endpoint],
            methods=rule.methods,
        )
    mounts: dict[str, Any] = {}
    described = [f"{sorted(r.methods)} {r.path} -> {r.function_name}" for r in api.routes]
    for spec in specs.values():
        if spec.function_url is None:
            continue
        url_service = FunctionUrlService(spec, runner, port, region)
        url_service.create()
        mounts[f"/fn/{spec.logical_id}"] = url_service._app
        described.append(f"[function URL] /fn/{spec.logical_id}/ -> {spec.logical_id}")
    return DispatcherMiddleware(api_app, mounts), described
