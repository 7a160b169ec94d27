"""Payments, locally: the bank's card processor is played by local/processor_simulator.py on its own
port; CRM console actions (create an invoice, the CC Payments report, an invoice with its attempts);
a demo invoice whose payment link goes on the home page.

Hooks of the local stack (local/portals/__init__.py):
- ``parameters(stack)``: ProcessorMode=simulator, ProcessorBaseUrl=<the simulator's URL> (its port is
  bound here, before anything starts), ProcessorTimeoutSeconds=3;
- ``start(stack)``: writes the simulator's API key and webhook secret into ProcessorApiSecret (as an
  operator puts the bank's) and starts it; returns ``stop``;
- ``seed(stack)``: the demo invoice, made through the real /crm/ route.
Set PROCESSOR_PORT to pin the simulator's port (default: a free one).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from local.processor_simulator import ProcessorSimulator
from local.seed import crm_call

DEMO_INVOICE = "INV-DEMO-1001"
LOCAL_PROCESSOR_TIMEOUT_SECONDS = "3"  # the simulator's "timeout" card answers after 20 s

_simulator: ProcessorSimulator | None = None
_started = False

PORTAL: dict[str, str] = {
    "name": "Payments",
    "url": "/_local/console",
    "what": "pay the demo invoice from its payment link (test cards: the processor simulator's page)",
}


def _today() -> date:
    return datetime.now(UTC).date()


def _invoice_body(values: dict[str, str]) -> dict[str, Any]:
    return {
        "customer": {"name": values["customer_name"].strip(), "email": values["customer_email"].strip()},
        "currency": values["currency"].strip() or "USD",
        "amount": values["amount"].strip(),
        "due_date": values["due_date"].strip(),
        "description": values["description"].strip() or None,
    }


CONSOLE_ACTIONS: list[dict[str, Any]] = [
    {
        "id": "payments-put-invoice",
        "portal": "Payments",
        "title": "Create or update an invoice (answers its payment link)",
        "method": "PUT",
        "path": "/crm/payments/invoices/{number}",
        "fields": [
            {"name": "number", "label": "Invoice number", "default": "INV-CONSOLE-1"},
            {"name": "customer_name", "label": "Customer name", "default": "Casey Console"},
            {"name": "customer_email", "label": "Customer email", "default": "casey.console@example.com"},
            {"name": "amount", "label": "Amount due (e.g. 249.90)", "default": "249.90"},
            {"name": "currency", "label": "Currency", "default": "USD"},
            {
                "name": "due_date",
                "label": "Due date (YYYY-MM-DD)",
                "default": (_today() + timedelta(days=30)).isoformat(),
            },
            {"name": "description", "label": "Description", "default": "Gutter repair"},
        ],
        "body": _invoice_body,
    },
    {
        "id": "payments-report",
        "portal": "Payments",
        "title": "CC Payments report (every card payment attempt)",
        "method": "GET",
        "path": "/crm/payments/report?from={date_from}&to={date_to}&invoice={invoice}&outcome={outcome}&format={format}",
        "fields": [
            {"name": "date_from", "label": "From (YYYY-MM-DD, UTC)", "default": _today().isoformat()},
            {"name": "date_to", "label": "To (YYYY-MM-DD, UTC)", "default": _today().isoformat()},
            {"name": "invoice", "label": "Invoice number (optional)", "default": ""},
            {
                "name": "outcome",
                "label": "Outcomes (optional: succeeded,declined,failed,refused,blocked,pending)",
                "default": "",
            },
            {"name": "format", "label": "Format (json or csv)", "default": "json"},
        ],
        "body": None,
    },
    {
        "id": "payments-get-invoice",
        "portal": "Payments",
        "title": "An invoice, its attempts and a fresh payment link",
        "method": "GET",
        "path": "/crm/payments/invoices/{number}",
        "fields": [{"name": "number", "label": "Invoice number", "default": DEMO_INVOICE}],
        "body": None,
    },
]


def _the_simulator() -> ProcessorSimulator:
    """The simulator, bound to its port (not serving yet): its URL is known before anything starts."""
    global _simulator
    if _simulator is None:
        _simulator = ProcessorSimulator(api_key="", webhook_secret="", port=int(os.environ.get("PROCESSOR_PORT", "0")))
    return _simulator


def parameters(stack: Any) -> dict[str, str]:
    """Hook (before anything is created): the template parameters that point Payments at the simulator."""
    return {
        "ProcessorMode": "simulator",
        "ProcessorBaseUrl": _the_simulator().url,
        "ProcessorTimeoutSeconds": LOCAL_PROCESSOR_TIMEOUT_SECONDS,
    }


def start(stack: Any) -> Callable[[], None]:
    """Hook (AWS resources exist, routes not served yet): give the simulator its API key and webhook
    secret — written into ProcessorApiSecret, as an operator puts the bank's — and start serving."""
    global _started
    simulator = _the_simulator()
    if not _started:
        simulator.api_key, simulator.webhook_secret = "sim_" + secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        simulator.webhook_url = f"{stack.gateway_url}/payments/webhooks/processor"
        stack.client("secretsmanager").put_secret_value(
            SecretId=stack.stack.refs["ProcessorApiSecret"],
            SecretString=json.dumps({"api_key": simulator.api_key, "webhook_secret": simulator.webhook_secret}),
        )
        simulator.start()
        _started = True
    return stop


def stop() -> None:
    global _simulator, _started
    if _simulator is not None:
        _simulator.stop()
    _simulator, _started = None, False


def seed(stack: Any) -> dict[str, Any]:
    simulator = _the_simulator()
    answer = crm_call(
        stack,
        "PUT",
        f"/crm/payments/invoices/{DEMO_INVOICE}",
        {
            "customer": {"name": "Dana Demo", "email": "dana.demo@example.com"},
            "currency": "USD",
            "due_date": (_today() + timedelta(days=30)).isoformat(),
            "description": "Roof repair at 12 Demo Lane",
            "lines": [
                {"description": "Shingle replacement", "quantity": "1", "unit_amount": "1100.00"},
                {"description": "Gutter cleaning", "quantity": "2", "unit_amount": "75.00"},
            ],
        },
    )
    link = answer["payment_link"]["url"]
    PORTAL["url"] = link
    return {
        "logins": [],
        "links": [
            {"title": f"Payments: pay the demo invoice {DEMO_INVOICE} (USD 1,250.00)", "url": link},
            {"title": "Payments: the card processor simulator (test cards, charges)", "url": f"{simulator.url}/"},
        ],
    }
