"""Card brands: we take Visa and MasterCard only (merchant agreement with the bank).

The brand comes from the processor (a token's card), never from a card number: we never see one.
Processors spell brands differently ("Visa", "MC", "master_card", "American Express"), so they are
normalized first.
"""

from __future__ import annotations

ACCEPTED_BRANDS = frozenset({"visa", "mastercard"})

_ALIASES = {
    "visa": "visa",
    "mastercard": "mastercard",
    "master card": "mastercard",
    "master_card": "mastercard",
    "mc": "mastercard",
    "amex": "amex",
    "american express": "amex",
    "american_express": "amex",
    "discover": "discover",
    "diners": "diners",
    "diners club": "diners",
    "jcb": "jcb",
    "unionpay": "unionpay",
    "union pay": "unionpay",
}

LABELS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}


def normalize_brand(raw: str | None) -> str:
    key = " ".join((raw or "").strip().lower().replace("-", " ").split())
    return _ALIASES.get(key) or _ALIASES.get(key.replace(" ", "_")) or "unknown"


def is_accepted(brand: str) -> bool:
    return normalize_brand(brand) in ACCEPTED_BRANDS


def brand_label(brand: str) -> str:
    return LABELS.get(normalize_brand(brand), "This card")


def refusal_message(brand: str) -> str:
    known = normalize_brand(brand) in LABELS
    what = f"{brand_label(brand)} cards cannot" if known else "This card cannot"
    return f"We accept Visa and MasterCard only. {what} be used here: please pay with a Visa or MasterCard."
