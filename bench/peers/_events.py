"""Our sample events are API Gateway HTTP API payloads (v2); Chalice serves REST API payloads (v1).

The benchmark converts an event once, before the timed region, so the peer serves the same request
in the shape its own API would send it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

# Function URLs (route key $default) have no path of their own: in Chalice's idiom they are routes
# of the one REST API, here under the info site's prefix.
FUNCTION_URL_ROUTES = {
    "unsubscribefunction": "/info/unsubscribe",
    "quotefunction": "/info/quote",
}


def is_http_event(event: dict[str, Any]) -> bool:
    """An API Gateway or function URL request (not an authorizer's, S3's, SQS's or a stream's)."""
    return event.get("version") == "2.0" and "routeKey" in event and event.get("type") != "REQUEST"


def v2_to_v1(event: dict[str, Any]) -> dict[str, Any]:
    context = event["requestContext"]
    method = context["http"]["method"]
    route_key = event["routeKey"]
    if route_key == "$default":
        resource = path = FUNCTION_URL_ROUTES[context.get("domainPrefix") or context["apiId"]]
    else:
        resource = route_key.split(" ", 1)[1].rstrip("/") or "/"  # Chalice routes have no trailing slash
        path = event["rawPath"].rstrip("/") or "/"
    headers = dict(event.get("headers") or {})
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    query = parse_qs(event.get("rawQueryString") or "", keep_blank_values=True)
    authorizer = context.get("authorizer") or {}
    identity: dict[str, Any] = {"sourceIp": context["http"]["sourceIp"], "userAgent": context["http"].get("userAgent")}
    if "iam" in authorizer:
        identity.update(authorizer["iam"])
    v1_authorizer = (
        {"principalId": authorizer["lambda"].get("user_sub"), **authorizer["lambda"]}
        if "lambda" in authorizer
        else None
    )
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": event.get("pathParameters") or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": context.get("accountId"),
            "apiId": context.get("apiId"),
            "domainName": context.get("domainName"),
            "httpMethod": method,
            "path": f"/api{path}",
            "protocol": context["http"].get("protocol"),
            "requestId": context.get("requestId"),
            "resourcePath": resource,
            "stage": "api",
            "identity": identity,
            **({"authorizer": v1_authorizer} if v1_authorizer else {}),
        },
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def as_aws_sends_it(event: dict[str, Any]) -> dict[str, Any]:
    """Our sample stream event leaves out ``ApproximateCreationDateTime``, which DynamoDB Streams
    always sends and Chalice's DynamoDBRecord reads: add it (any other event is unchanged)."""
    records = event.get("Records") or []
    if not any(r.get("eventSource") == "aws:dynamodb" for r in records):
        return event
    return {
        **event,
        "Records": [
            {**r, "dynamodb": {"ApproximateCreationDateTime": 1795346400.0, **r["dynamodb"]}}
            if r.get("eventSource") == "aws:dynamodb"
            else r
            for r in records
        ],
    }
