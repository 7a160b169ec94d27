"""The card processor, as the payments portal sees it: one interface, whatever answers behind it.

Implementations: ``bank_api.BankApiProcessor`` (the bank's HTTPS API) — which also talks to the local
stack's processor simulator (local/processor_simulator.py), since the simulator speaks the bank's
contract — and the in-memory fakes of the unit tests.

Card data never reaches us: the customer types it into the processor's hosted card form (an iframe
served by the processor), which hands our page a single-use token. We charge the token, and keep
only what ``CardSummary`` holds (brand, last 4, expiry) and the processor's ids.
"""

from __future__ import annotations

from typing import Literal, Protocol
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from portal_common.settings import load_settings

from .brands import normalize_brand
from .models import CardSummary
from .settings import ProcessorSettings


class ProcessorError(Exception):
    """Base of what the processor adapter raises (never carries card data)."""


class TokenInvalid(ProcessorError):
    """The token is unknown, expired or already used: the customer must enter the card again."""


class ProcessorUnavailable(ProcessorError):
    """The processor could not be reached or failed; for a charge, it did not take the request."""


class ChargeOutcomeUnknown(ProcessorError):
    """A charge was sent, but its answer never came and the processor has no record of it yet."""


class ChargeRequest(BaseModel):
    token: str
    amount_minor: int
    currency: str
    reference: str = Field(description="our invoice number")
    description: str
    idempotency_key: str = Field(description="same key -> same charge, never a second")
    metadata: dict[str, str] = Field(default_factory=dict)


class Charge(BaseModel):
    id: str
    status: Literal["succeeded", "failed"]
    amount_minor: int
    currency: str
    reference: str
    idempotency_key: str
    card: CardSummary
    failure_code: str | None = None
    failure_message: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    found_by_lookup: bool = Field(default=False, description="the answer timed out; found by idempotency key")

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class WebhookEvent(BaseModel):
    id: str
    type: str
    created: int
    charge: Charge | None = None


class CardProcessor(Protocol):
    def card_of(self, token: str) -> CardSummary:
        """The card behind a token (brand, last 4, expiry). Raises TokenInvalid, ProcessorUnavailable."""
        ...

    def charge(self, request: ChargeRequest) -> Charge:
        """Charge a token once per idempotency key. A timeout is resolved by looking the key up; raises
        ChargeOutcomeUnknown if that finds nothing, TokenInvalid, ProcessorUnavailable (not charged)."""
        ...

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The charge made with this key, if the processor has one. Raises ProcessorUnavailable."""
        ...

    def verify_webhook(self, body: bytes, signature_header: str) -> WebhookEvent:
        """A webhook's event if its signature holds (and is recent); raises WebhookRejected otherwise."""
        ...


class WebhookRejected(ProcessorError):
    pass


def card_summary(raw: dict[str, object]) -> CardSummary:
    return CardSummary(
        brand=normalize_brand(str(raw.get("brand") or "")),
        last4=str(raw.get("last4") or ""),
        exp_month=int(raw.get("exp_month") or 0),  # type: ignore[call-overload]
        exp_year=int(raw.get("exp_year") or 0),  # type: ignore[call-overload]
    )


def hosted_fields(portal_origin: str, button_label: str) -> tuple[str, str]:
    """(URL of the processor's hosted card form for our page's iframe, the processor's origin)."""
    settings = load_settings(ProcessorSettings)
    query = urlencode({"origin": portal_origin, "label": button_label})
    return f"{settings.base_url}/hosted/card?{query}", settings.origin


def is_test_mode() -> bool:
    return load_settings(ProcessorSettings).processor_mode == "simulator"
