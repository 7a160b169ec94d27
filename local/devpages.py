"""Pages of the local stack only (never deployed): home, mailbox, CRM log, CRM console, OpenAPI.

The CRM's part is played here: the queue(s) the CRM reads are drained into the CRM log, and the
console calls the real /crm/ routes over HTTP, as the CRM would.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from local.console_actions import console_actions

LOG = logging.getLogger("local.devpages")
TEMPLATES = Path(__file__).resolve().parent / "devpages_templates"


class CrmInbox:
    """Plays the CRM: drains the CRM's queues into a log (memory + a JSON-lines file)."""

    def __init__(self, sqs: Any, queues: dict[str, str], log_path: Path):
        self.sqs = sqs
        self.queues = queues  # logical id -> url
        self.log_path = log_path
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def start(self) -> None:
        for logical_id, url in self.queues.items():
            threading.Thread(target=self._drain, args=(logical_id, url), daemon=True).start()

    def _drain(self, logical_id: str, url: str) -> None:
        while not self.stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
                ).get("Messages", [])
            except Exception:
                if self.stop.wait(1):
                    return
                continue
            for message in messages:
                try:
                    body = json.loads(message["Body"])
                except ValueError:
                    body = {"raw": message["Body"]}
                entry = {
                    "queue": logical_id,
                    "received_at": time.time(),
                    "message_id": message["MessageId"],
                    "event": body,
                }
                with self.lock:
                    self.events.append(entry)
                    with self.log_path.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(entry) + "\n")
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _parse_message(raw: str) -> dict[str, Any]:
    msg = email.message_from_string(raw, policy=email.policy.default)
    html = text = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if ctype == "text/html" and html is None:
            html = part.get_content()
        elif ctype == "text/plain" and text is None:
            text = part.get_content()
    headers = [(k, str(v)) for k, v in msg.items()]
    return {
        "subject": str(msg.get("Subject", "")),
        "from": str(msg.get("From", "")),
        "to": str(msg.get("To", "")),
        "date": str(msg.get("Date", "")),
        "headers": headers,
        "html": html,
        "text": text,
    }


def create_dev_pages(
    *,
    aws_url: str,
    gateway_url: str,
    stack_info: Callable[[], dict[str, Any]],
    inbox: CrmInbox,
    openapi: Callable[[], dict[str, Any]],
    demo: Callable[[], dict[str, Any]],
) -> Flask:
    app = Flask("local-devpages")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    def page(name: str, **ctx: Any) -> Response:
        body = env.get_template(name).render(gateway_url=gateway_url, aws_url=aws_url, **ctx)
        return Response(body, mimetype="text/html")

    def mailbox() -> list[dict[str, Any]]:
        for attempt in range(5):  # moto's dump can fail while a send is being recorded: ask again
            try:
                with urllib.request.urlopen(f"{aws_url}/moto-api/data.json", timeout=10) as resp:  # noqa: S310
                    data = json.load(resp)
                break
            except (urllib.error.URLError, ValueError):
                if attempt == 4:
                    raise
                time.sleep(0.2)
        messages = []
        for raw in data.get("ses", {}).get("RawMessage", []):
            parsed = _parse_message(raw["raw_data"])
            parsed["id"] = raw["id"]
            parsed["destinations"] = sorted(set(raw.get("destinations") or []))
            messages.append(parsed)
        return list(reversed(messages))

    @app.get("/")
    def home() -> Response:
        return page("home.html", demo=demo(), stack=stack_info())

    @app.get("/_local/mailbox")
    def mailbox_page() -> Response:
        return page("mailbox.html", messages=mailbox())

    @app.get("/_local/mailbox.json")
    def mailbox_json() -> Response:
        return Response(json.dumps(mailbox()), mimetype="application/json")

    @app.get("/_local/mailbox/<message_id>")
    def message_page(message_id: str) -> Response:
        for message in mailbox():
            if message["id"] == message_id:
                return page("message.html", message=message)
        abort(404)

    @app.get("/_local/crm-log")
    def crm_log_page() -> Response:
        with inbox.lock:
            events = list(reversed(inbox.events))
        return page("crm_log.html", events=events)

    @app.get("/_local/crm-log.json")
    def crm_log_json() -> Response:
        with inbox.lock:
            events = list(inbox.events)
        return Response(json.dumps(events), mimetype="application/json")

    @app.get("/_local/stack.json")
    def stack_json() -> Response:
        return Response(json.dumps(stack_info()), mimetype="application/json")

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        return Response(json.dumps(openapi()), mimetype="application/json")

    @app.get("/_local/console")
    def console() -> Response:
        return page("console.html", actions=console_actions(), result=None)

    @app.post("/_local/console/<action_id>")
    def console_submit(action_id: str) -> Response:
        action = next((a for a in console_actions() if a["id"] == action_id), None)
        if action is None:
            abort(404)
        values = {f["name"]: request.form.get(f["name"], "") for f in action["fields"]}
        path = action["path"].format(**values)
        body = action["body"](values) if action.get("body") else None
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310 - the local gateway
            f"{gateway_url}{path}",
            data=data,
            method=action["method"],
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        result = {"action": action, "status": status, "body": text, "path": path}
        if action.get("then") and 200 <= status < 300:
            return redirect(action["then"])  # type: ignore[return-value]
        return page("console.html", actions=console_actions(), result=result)

    return app
