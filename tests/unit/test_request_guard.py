"""The request guard: bodies too large, of the wrong kind or unreadable are a 4xx before a route's
JSON model is validated, and a readable body reaches the route whole."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import BaseModel

from portal_common.web.app import portal_app
from tests.support.partners import http_event


class Note(BaseModel):
    text: str


app = portal_app()


@app.post("/notes")
def add_note(note: Note) -> dict[str, Any]:
    return {"text": note.text}


class _Context:
    function_name = "guard-test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:guard-test"
    aws_request_id = "req-guard"


def post(body: str | bytes, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    event = http_event("POST", "/notes")
    event["headers"]["content-type"] = content_type
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"] = body
    answer = app.resolve(event, _Context())  # type: ignore[arg-type]
    return answer["statusCode"], json.loads(answer["body"])


def test_a_readable_body_reaches_the_route() -> None:
    # Given a JSON body with an escaped surrogate pair (one emoji) and plain non-ASCII text
    status, doc = post('{"text": "caf\\u00e9 \\ud83d\\ude00 \u00fc"}')
    # Then the route gets it, decoded
    assert status == 200
    assert doc == {"text": "café 😀 ü"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ('{"text": "a', "application/json", 400, "not valid JSON"),
        (b'{"text": "\xff\xfe"}', "application/json", 400, "not valid UTF-8"),
        ('{"text": "half \\ud800 a pair"}', "application/json", 400, "lone surrogate"),
        ('{"text": "\\udc00"}', "application/json", 400, "lone surrogate"),
        ("text=hello", "application/x-www-form-urlencoded", 415, "application/json"),
        ('{"text": "' + "x" * (1024 * 1024) + '"}', "application/json", 413, "larger than 1 MB"),
    ],
    ids=["truncated", "not-utf8", "lone-high-surrogate", "lone-low-surrogate", "form-to-json-route", "oversized"],
)
def test_an_unreadable_body_is_a_clear_4xx(body: str | bytes, content_type: str, status: int, words: str) -> None:
    # When the body cannot be read as the route's JSON model
    got, doc = post(body, content_type)
    # Then the answer is the 4xx it deserves, with a message saying why
    assert got == status
    assert words in doc["error"]["message"]


def test_an_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    # Given text that literally contains "\ud800" (an escaped backslash, then "ud800")
    status, doc = post('{"text": "\\\\ud800"}')
    # Then it is accepted as the six characters it is
    assert status == 200
    assert doc == {"text": "\\ud800"}
