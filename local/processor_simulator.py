"""The bank's card processor, simulated: the local stack runs it on its own port (never deployed).

It speaks the same HTTP contract as the bank's card-processing API that functions/payments calls
(card_payments/bank_api.py), so the portal's code cannot tell them apart:

    GET  /hosted/card?origin=<parent origin>&label=<button label>   the card form, in an iframe
    POST /v1/tokens                  (from the hosted form) card fields -> a single-use token
    GET  /v1/tokens/<id>             (API key) brand, last 4, expiry of a token's card
    POST /v1/charges                 (API key + Idempotency-Key) charge a token
    GET  /v1/charges?idempotency_key=<key>   (API key) find a charge by its idempotency key
    GET  /v1/charges/<id>            (API key)
    webhooks: POST <webhook_url>, ``Processor-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``

Simulator only: ``GET /`` (the test cards), ``GET /_simulator/charges`` (every charge recorded, for
tests), ``GET /_simulator/health``.

Card numbers are held only while a token is being made: a token keeps the brand, the last 4, the
expiry and the card's test behaviour, never the number. Nothing here logs a request body.

Test cards (any future expiry, any 3-digit CVC): see TEST_CARDS. The "timeout" card records a
successful charge and then answers only after ``hang_seconds`` — longer than the portal waits — so
the portal must look the charge up by its idempotency key instead of guessing.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOG = logging.getLogger("local.processor_simulator")

# number -> (what it does, a human description). Brands come from the number (detect_brand).
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("success", "Visa: payment succeeds"),
    "5555555555554444": ("success", "MasterCard: payment succeeds"),
    "4000000000000002": ("card_declined", "Visa: declined"),
    "5105105105105100": ("card_declined", "MasterCard: declined"),
    "4000000000009995": ("insufficient_funds", "Visa: declined, insufficient funds"),
    "4000000000000069": ("expired_card", "Visa: declined, expired card"),
    "4000000000000119": ("processing_error", "Visa: processing error"),
    "4000000000000341": ("timeout", "Visa: the charge succeeds but its answer comes too late"),
    "378282246310005": ("success", "American Express (the portal refuses the brand)"),
    "6011111111111117": ("success", "Discover (the portal refuses the brand)"),
}

FAILURES = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "processing_error": "An error occurred while processing the card. Try again later.",
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def detect_brand(number: str) -> str:
    """The card network from the number's leading digits (IIN ranges)."""
    if not number.isdigit():
        return "unknown"
    two, four, six = int(number[:2] or 0), int(number[:4] or 0), int(number[:6] or 0)
    if number.startswith("4"):
        return "visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if (
        number.startswith("6011")
        or number.startswith("65")
        or 644 <= int(number[:3] or 0) <= 649
        or (622126 <= six <= 622925)
    ):
        return "discover"
    if 3528 <= four <= 3589:
        return "jcb"
    if two in (36, 38, 39) or 300 <= int(number[:3] or 0) <= 305:
        return "diners"
    if two == 62:
        return "unionpay"
    return "unknown"


def sign_webhook(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(timestamp if timestamp is not None else time.time())
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


@dataclass
class Token:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    behaviour: str
    created: int
    used: bool = False

    def card(self) -> dict[str, Any]:
        return {"brand": self.brand, "last4": self.last4, "exp_month": self.exp_month, "exp_year": self.exp_year}

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "object": "token", "card": self.card(), "used": self.used, "created": self.created}


@dataclass
class Charge:
    id: str
    idempotency_key: str
    token: str
    amount: int
    currency: str
    reference: str
    description: str
    metadata: dict[str, str]
    card: dict[str, Any]
    status: str
    failure_code: str | None
    failure_message: str | None
    created: int
    requests: int = 1
    fingerprint: str = field(default="", repr=False)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "charge",
            "idempotency_key": self.idempotency_key,
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
            "description": self.description,
            "metadata": dict(self.metadata),
            "card": dict(self.card),
            "status": self.status,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "created": self.created,
        }


class ProcessorState:
    """Tokens and charges, behind one lock (idempotency: one charge per key, whatever the races)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, Token] = {}
        self.charges: dict[str, Charge] = {}
        self.by_key: dict[str, str] = {}

    def tokenize(self, fields: dict[str, str], now: datetime | None = None) -> Token:
        number = re.sub(r"[\s-]", "", fields.get("number", ""))
        errors: dict[str, str] = {}
        if not luhn_valid(number):
            errors["number"] = "Enter a valid card number."
        month_text, year_text = fields.get("exp_month", "").strip(), fields.get("exp_year", "").strip()
        month = int(month_text) if month_text.isdigit() and len(month_text) <= 2 else 0
        year = int(year_text) if year_text.isdigit() and len(year_text) in (2, 4) else 0
        if year and year < 100:
            year += 2000
        today = now or datetime.now(UTC)
        if not 1 <= month <= 12:
            errors["exp_month"] = "Enter the expiry month (1-12)."
        elif not year or (year, month) < (today.year, today.month):
            errors["exp_year"] = "Enter an expiry date in the future."
        if not re.fullmatch(r"\d{3,4}", fields.get("cvc", "").strip()):
            errors["cvc"] = "Enter the 3 or 4 digit security code."
        if errors:
            raise ApiError(400, "invalid_card", "Check the card details.", {"fields": errors})
        behaviour = TEST_CARDS.get(number, ("success", ""))[0]
        token = Token(
            id="tok_" + secrets.token_hex(12),
            brand=detect_brand(number),
            last4=number[-4:],
            exp_month=month,
            exp_year=year,
            behaviour=behaviour,
            created=int(time.time()),
        )
        del number  # the number goes no further than this function
        with self.lock:
            self.tokens[token.id] = token
        return token

    def token(self, token_id: str) -> Token:
        with self.lock:
            token = self.tokens.get(token_id)
        if token is None:
            raise ApiError(404, "token_not_found", "No such token.")
        return token

    def charge(self, key: str, body: dict[str, Any]) -> tuple[Charge, bool]:
        """(the charge for this idempotency key, whether it was created by this request)."""
        try:
            amount = int(body.get("amount"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "invalid_amount", "amount must be an integer in minor units.") from None
        currency = str(body.get("currency") or "").upper()
        token_id = str(body.get("token") or "")
        if amount <= 0 or not re.fullmatch(r"[A-Z]{3}", currency):
            raise ApiError(400, "invalid_request", "amount must be positive and currency a 3-letter code.")
        fingerprint = hashlib.sha256(f"{token_id}|{amount}|{currency}".encode()).hexdigest()
        with self.lock:
            existing_id = self.by_key.get(key)
            if existing_id is not None:
                existing = self.charges[existing_id]
                if existing.fingerprint != fingerprint:
                    raise ApiError(409, "idempotency_key_reused", "This idempotency key was used for another charge.")
                existing.requests += 1
                return existing, False
            token = self.tokens.get(token_id)
            if token is None:
                raise ApiError(400, "token_not_found", "No such token.")
            if token.used:
                raise ApiError(400, "token_used", "This token was already used.")
            token.used = True
            failure = token.behaviour if token.behaviour in FAILURES else None
            charge = Charge(
                id="ch_" + secrets.token_hex(12),
                idempotency_key=key,
                token=token_id,
                amount=amount,
                currency=currency,
                reference=str(body.get("reference") or "")[:64],
                description=str(body.get("description") or "")[:200],
                metadata={str(k)[:40]: str(v)[:200] for k, v in dict(body.get("metadata") or {}).items()},
                card=token.card(),
                status="failed" if failure else "succeeded",
                failure_code=failure,
                failure_message=FAILURES.get(failure or ""),
                created=int(time.time()),
                fingerprint=fingerprint,
            )
            self.charges[charge.id] = charge
            self.by_key[key] = charge.id
            return charge, True

    def find(self, key: str) -> list[Charge]:
        with self.lock:
            charge_id = self.by_key.get(key)
            return [self.charges[charge_id]] if charge_id else []

    def get(self, charge_id: str) -> Charge:
        with self.lock:
            charge = self.charges.get(charge_id)
        if charge is None:
            raise ApiError(404, "charge_not_found", "No such charge.")
        return charge

    def all_charges(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**c.public(), "requests": c.requests} for c in self.charges.values()]


HOSTED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Card details</title>
<style>
body{margin:0;padding:.75rem;font:16px/1.4 system-ui,sans-serif;color:#1c2530;background:#fff}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #9aa7b4;border-radius:5px}
.row{display:flex;gap:.75rem}.row>div{flex:1}
button{margin-top:1rem;width:100%;padding:.65rem;font:inherit;font-weight:700;border:0;border-radius:5px;background:#1e6b3a;color:#fff}
button[disabled]{opacity:.6}
input:focus,button:focus{outline:3px solid #f2b600;outline-offset:1px}
.error{color:#a4262c;font-weight:600;margin:.2rem 0 0}
.badge{font-size:.8rem;color:#5b6876}
</style></head><body>
<form id="card" novalidate>
<p class="badge">Secured by the card processor{test_badge}. Card details go to the processor only.</p>
<label for="number">Card number</label>
<input id="number" name="number" inputmode="numeric" autocomplete="cc-number" aria-describedby="number-error" required>
<p class="error" id="number-error" role="alert"></p>
<div class="row">
<div><label for="exp_month">Expiry month</label>
<input id="exp_month" name="exp_month" inputmode="numeric" autocomplete="cc-exp-month" placeholder="MM" aria-describedby="exp_month-error" required>
<p class="error" id="exp_month-error" role="alert"></p></div>
<div><label for="exp_year">Expiry year</label>
<input id="exp_year" name="exp_year" inputmode="numeric" autocomplete="cc-exp-year" placeholder="YYYY" aria-describedby="exp_year-error" required>
<p class="error" id="exp_year-error" role="alert"></p></div>
</div>
<label for="cvc">Security code (CVC)</label>
<input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" aria-describedby="cvc-error" required>
<p class="error" id="cvc-error" role="alert"></p>
<label for="name">Name on card</label>
<input id="name" name="name" autocomplete="cc-name">
<p class="error" id="form-error" role="alert"></p>
<button type="submit" id="pay">{label}</button>
</form>
<script>
const parentOrigin = {origin_json};
const form = document.getElementById("card");
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const button = document.getElementById("pay");
  for (const el of document.querySelectorAll(".error")) el.textContent = "";
  for (const el of form.querySelectorAll("input")) el.removeAttribute("aria-invalid");
  button.disabled = true;
  const fields = Object.fromEntries(new FormData(form).entries());
  try {
    const answer = await fetch("/v1/tokens", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(fields)});
    const doc = await answer.json();
    if (!answer.ok) {
      const problems = (doc.error && doc.error.fields) || {};
      for (const [name, message] of Object.entries(problems)) {
        const target = document.getElementById(name + "-error");
        if (target) target.textContent = message;
        const input = document.getElementById(name);
        if (input) input.setAttribute("aria-invalid", "true");
      }
      if (!Object.keys(problems).length) document.getElementById("form-error").textContent = (doc.error && doc.error.message) || "Please try again.";
      button.disabled = false;
      return;
    }
    form.reset();
    button.textContent = "Processing…";
    window.parent.postMessage({type: "processor:token", token: doc.id, card: doc.card}, parentOrigin);
  } catch (e) {
    document.getElementById("form-error").textContent = "The card processor could not be reached. Please try again.";
    button.disabled = false;
  }
});
</script>
</body></html>
"""

INDEX_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card processor simulator</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1c2530}}td,th{{padding:.3rem .8rem;text-align:left}}</style>
</head><body><h1>Card processor simulator</h1>
<p>Plays the bank's card-processing API for the local stack. Any future expiry date and any 3-digit CVC.</p>
<table><tr><th>Card number</th><th>Brand</th><th>What happens</th></tr>{rows}</table>
<p><a href="/_simulator/charges">Charges recorded (JSON)</a></p></body></html>
"""


class ProcessorSimulator:
    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        webhook_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        hang_seconds: float = 20.0,
        webhook_delay: float = 0.3,
    ):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.hang_seconds = hang_seconds
        self.webhook_delay = webhook_delay
        self.state = ProcessorState()
        self.webhooks_sent: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ProcessorSimulator:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._server.serve_forever, name="processor-simulator", daemon=True)
        self._thread.start()
        LOG.info("card processor simulator on %s", self.url)
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever: only when it runs
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    # -- webhooks -------------------------------------------------------------------------------
    def send_webhook(self, charge: Charge) -> None:
        if not self.webhook_url:
            return
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "type": f"charge.{charge.status}",
            "created": int(time.time()),
            "data": {"charge": charge.public()},
        }
        threading.Thread(target=self._deliver, args=(event,), name="processor-webhook", daemon=True).start()

    def _deliver(self, event: dict[str, Any]) -> None:
        time.sleep(self.webhook_delay)
        body = json.dumps(event).encode()
        for attempt in range(4):
            request = urllib.request.Request(  # noqa: S310 - the local gateway
                str(self.webhook_url),
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Processor-Signature": sign_webhook(self.webhook_secret, body),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0
            self.webhooks_sent.append({"event_id": event["id"], "type": event["type"], "status": status})
            if 200 <= status < 300:
                return
            LOG.warning("webhook %s answered %s (attempt %d)", event["id"], status, attempt + 1)
            time.sleep(1 + attempt * 2)


def _handler_for(sim: ProcessorSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ProcessorSimulator/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # never log requests: nothing about a card should reach a log

        # -- plumbing --------------------------------------------------------------------------
        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client went away (e.g. it timed out waiting)
                pass

        def _json(self, status: int, doc: Any, extra: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(doc).encode(), "application/json", extra)

        def _error(self, exc: ApiError) -> None:
            self._json(exc.status, {"error": {"code": exc.code, "message": exc.message, **exc.extra}})

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 64 * 1024:
                raise ApiError(413, "too_large", "Request too large.")
            raw = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            try:
                if "application/json" in ctype:
                    doc = json.loads(raw or b"{}")
                    if not isinstance(doc, dict):
                        raise ValueError
                    return doc
                return {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "invalid_body", "The request body could not be read.") from None

        def _authorize(self) -> None:
            supplied = self.headers.get("Authorization", "")
            if not hmac.compare_digest(supplied.encode(), f"Bearer {sim.api_key}".encode()):
                raise ApiError(401, "unauthorized", "Invalid API key.")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
            try:
                self._route(method, path, query)
            except ApiError as exc:
                self._error(exc)
            except Exception as exc:  # the message may echo input: log the type only
                LOG.error("simulator error: %s", type(exc).__name__)
                self._json(500, {"error": {"code": "internal_error", "message": "Simulator error."}})

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        # -- routes ----------------------------------------------------------------------------
        def _route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
            if method == "GET" and path == "/":
                rows = "".join(
                    f"<tr><td><code>{n}</code></td><td>{detect_brand(n)}</td><td>{html.escape(d)}</td></tr>"
                    for n, (_, d) in TEST_CARDS.items()
                )
                self._send(200, INDEX_PAGE.format(rows=rows).encode(), "text/html; charset=utf-8")
            elif method == "GET" and path == "/hosted/card":
                origin = (query.get("origin") or [""])[0]
                if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d+)?", origin):
                    raise ApiError(400, "invalid_origin", "origin must be the embedding page's origin.")
                label = (query.get("label") or ["Pay"])[0][:60]
                page = (
                    HOSTED_PAGE.replace("{label}", html.escape(label))
                    .replace("{origin_json}", json.dumps(origin))
                    .replace("{test_badge}", " (TEST MODE: simulator)")
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")
            elif method == "GET" and path == "/_simulator/health":
                self._json(200, {"status": "ok"})
            elif method == "GET" and path == "/_simulator/charges":
                reference = (query.get("reference") or [None])[0]
                charges = [c for c in sim.state.all_charges() if reference is None or c["reference"] == reference]
                self._json(200, {"data": charges})
            elif method == "POST" and path == "/v1/tokens":
                token = sim.state.tokenize({k: str(v) for k, v in self._body().items()})
                self._json(200, token.public())
            elif method == "GET" and path.startswith("/v1/tokens/"):
                self._authorize()
                self._json(200, sim.state.token(path.rsplit("/", 1)[1]).public())
            elif method == "POST" and path == "/v1/charges":
                self._authorize()
                key = self.headers.get("Idempotency-Key", "").strip()
                if not re.fullmatch(r"[A-Za-z0-9._:\-]{8,255}", key):
                    raise ApiError(400, "idempotency_key_required", "Send an Idempotency-Key header.")
                charge, created = sim.state.charge(key, self._body())
                token = sim.state.tokens.get(charge.token)
                if created:
                    sim.send_webhook(charge)
                    if token is not None and token.behaviour == "timeout":
                        time.sleep(sim.hang_seconds)
                status = HTTPStatus.OK if charge.status == "succeeded" else HTTPStatus.PAYMENT_REQUIRED
                self._json(status, charge.public(), {"Idempotent-Replayed": "false" if created else "true"})
            elif method == "GET" and path == "/v1/charges":
                self._authorize()
                key = (query.get("idempotency_key") or [""])[0]
                self._json(200, {"data": [c.public() for c in sim.state.find(key)]})
            elif method == "GET" and path.startswith("/v1/charges/"):
                self._authorize()
                self._json(200, sim.state.get(path.rsplit("/", 1)[1]).public())
            else:
                raise ApiError(404, "not_found", "No such route.")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Card processor simulator (local only)")
    parser.add_argument("--port", type=int, default=4242)
    parser.add_argument("--api-key", default="sim_local_key")
    parser.add_argument("--webhook-secret", default="sim_local_webhook_secret")
    parser.add_argument("--webhook-url", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    sim = ProcessorSimulator(args.api_key, args.webhook_secret, args.webhook_url, port=args.port).start()
    print(f"card processor simulator on {sim.url}")
    threading.Event().wait()


if __name__ == "__main__":
    main()
