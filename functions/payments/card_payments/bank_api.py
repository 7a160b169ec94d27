"""The bank's card-processing API over HTTPS (and the local simulator, which speaks the same contract).

Contract (see local/processor_simulator.py for the executable version):
    GET  /v1/tokens/<token>                      the token's card: brand, last4, exp_month, exp_year, used
    POST /v1/charges  Idempotency-Key: <key>     {token, amount, currency, reference, description, metadata}
                                                 200 succeeded / 402 failed (with failure_code) -> a charge
    GET  /v1/charges?idempotency_key=<key>       {"data": [charge]} -- how a timeout is reconciled
    webhooks: Processor-Signature: t=<unix>,v1=<hex HMAC-SHA256(webhook_secret, "<t>.<body>")>

The API key and the webhook secret come from Secrets Manager (ProcessorApiSecret: {"api_key",
"webhook_secret"}), cached five minutes. Every call has a timeout; every charge carries its
idempotency key, so resending it can never charge twice. A charge whose answer does not come is
looked up by that key, never guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from portal_common.observability import logger
from portal_common.secret_values import json_secret
from portal_common.settings import load_settings

from .models import CardSummary
from .processor import (
    CardProcessor,
    Charge,
    ChargeOutcomeUnknown,
    ChargeRequest,
    ProcessorError,
    ProcessorUnavailable,
    TokenInvalid,
    WebhookEvent,
    WebhookRejected,
    card_summary,
)
from .settings import ProcessorSecretSettings, ProcessorSettings

SECRET_CACHE_SECONDS = 300
WEBHOOK_TOLERANCE_SECONDS = 300
LOOKUP_TRIES = 3


class _NoAnswer(Exception):
    """The request may have reached the processor, but no (usable) answer came back."""


class _NotSent(Exception):
    """The connection was refused: the request never reached the processor."""


class BankApiProcessor:
    def __init__(self, base_url: str, credentials: Any, timeout: float):
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials  # () -> {"api_key", "webhook_secret"}
        self.timeout = timeout

    # -- transport ------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - scheme checked by ProcessorSettings (https for the bank)
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self._credentials()['api_key']}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as resp:  # noqa: S310
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):
                raise _NotSent from None
            raise _NoAnswer from None
        except (TimeoutError, ConnectionError, OSError):
            raise _NoAnswer from None
        try:
            doc = json.loads(raw or b"{}")
        except ValueError:
            raise _NoAnswer from None
        if status >= 500:
            raise _NoAnswer
        return status, doc if isinstance(doc, dict) else {}

    @staticmethod
    def _charge(doc: dict[str, Any], *, found_by_lookup: bool = False) -> Charge:
        return Charge(
            id=str(doc["id"]),
            status="succeeded" if doc.get("status") == "succeeded" else "failed",
            amount_minor=int(doc["amount"]),
            currency=str(doc["currency"]),
            reference=str(doc.get("reference") or ""),
            idempotency_key=str(doc.get("idempotency_key") or ""),
            card=card_summary(doc.get("card") or {}),
            failure_code=doc.get("failure_code"),
            failure_message=doc.get("failure_message"),
            metadata={str(k): str(v) for k, v in (doc.get("metadata") or {}).items()},
            found_by_lookup=found_by_lookup,
        )

    # -- the interface ----------------------------------------------------------------------------
    def card_of(self, token: str) -> CardSummary:
        try:
            status, doc = self._call("GET", f"/v1/tokens/{quote(token, safe='')}")
        except (_NoAnswer, _NotSent):
            raise ProcessorUnavailable("the processor did not answer the token lookup") from None
        if status in (400, 404) or (status == 200 and doc.get("used")):
            raise TokenInvalid("the card token is unknown, expired or used")
        if status != 200:
            raise ProcessorUnavailable(f"token lookup answered {status}")
        return card_summary(doc.get("card") or {})

    def charge(self, request: ChargeRequest) -> Charge:
        body = {
            "token": request.token,
            "amount": request.amount_minor,
            "currency": request.currency,
            "reference": request.reference,
            "description": request.description,
            "metadata": request.metadata,
        }
        try:
            status, doc = self._call("POST", "/v1/charges", body, {"Idempotency-Key": request.idempotency_key})
        except _NotSent:
            raise ProcessorUnavailable("the processor refused the connection; nothing was charged") from None
        except _NoAnswer:
            logger.warning(
                "charge answer missing; looking it up by idempotency key", extra={"key": request.idempotency_key}
            )
            return self._reconcile(request.idempotency_key)
        if status in (200, 201, 402):
            return self._charge(doc)
        code = str((doc.get("error") or {}).get("code") or "")
        if code in ("token_not_found", "token_used"):
            raise TokenInvalid("the card token is unknown or used")
        raise ProcessorError(f"charge refused by the processor API: {status} {code}")

    def _reconcile(self, key: str) -> Charge:
        for attempt in range(LOOKUP_TRIES):
            try:
                found = self.find_charge(key)
            except ProcessorUnavailable:
                found = None
            if found is not None:
                return found
            time.sleep(0.3 * (attempt + 1))
        raise ChargeOutcomeUnknown(f"no answer and no charge found for key {key}")

    def find_charge(self, idempotency_key: str) -> Charge | None:
        try:
            status, doc = self._call(
                "GET", "/v1/charges?" + urlencode({"idempotency_key": idempotency_key}), timeout=min(self.timeout, 5)
            )
        except (_NoAnswer, _NotSent):
            raise ProcessorUnavailable("the processor did not answer the charge lookup") from None
        if status != 200:
            raise ProcessorUnavailable(f"charge lookup answered {status}")
        charges = doc.get("data") or []
        return self._charge(charges[0], found_by_lookup=True) if charges else None

    def verify_webhook(self, body: bytes, signature_header: str) -> WebhookEvent:
        return verify_webhook(body, signature_header, self._credentials()["webhook_secret"])


def verify_webhook(body: bytes, signature_header: str, secret: str, *, now: float | None = None) -> WebhookEvent:
    """Check ``t=<unix>,v1=<hex>`` (HMAC-SHA256 over "<t>.<body>", constant-time, at most 5 minutes old)."""
    parts: dict[str, list[str]] = {}
    for piece in (signature_header or "").split(","):
        name, _, value = piece.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError, IndexError):
        raise WebhookRejected("missing or malformed signature") from None
    if abs((now if now is not None else time.time()) - timestamp) > WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected("signature too old")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    # bytes: compare_digest raises TypeError on a str with non-ASCII characters (a hostile header)
    if not any(
        hmac.compare_digest(expected.encode(), v.encode("utf-8", "surrogateescape")) for v in parts.get("v1", [])
    ):
        raise WebhookRejected("signature does not match")
    try:
        doc = json.loads(body)
        charge = doc.get("data", {}).get("charge")
        return WebhookEvent(
            id=str(doc["id"]),
            type=str(doc["type"]),
            created=int(doc.get("created") or timestamp),
            charge=BankApiProcessor._charge(charge) if charge else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WebhookRejected("malformed event") from None


def _credentials() -> dict[str, Any]:
    arn = load_settings(ProcessorSecretSettings).processor_secret_arn
    return json_secret(arn, max_age=SECRET_CACHE_SECONDS)


@cache
def processor() -> CardProcessor:
    settings = load_settings(ProcessorSettings)
    return BankApiProcessor(settings.base_url, _credentials, settings.processor_timeout_seconds)
