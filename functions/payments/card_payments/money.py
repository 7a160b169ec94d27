"""Amounts: integers in the currency's minor unit (cents), never floats.

An amount arrives either in minor units (``amount_minor: 125000``) or as a decimal string in major
units (``amount: "1250.00"``); both become minor units here, refusing more decimals than the currency
has. Display is "USD 1,250.00" (the code, not a symbol: unambiguous, and printable in the PDF's font).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies we invoice in, with their number of decimals.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "CAD": 2,
    "MXN": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "JPY": 0,
}
MAX_MINOR = 10**11  # a billion in a 2-decimal currency: anything above is a typo


class AmountError(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise AmountError(f"currency must be one of {', '.join(sorted(CURRENCY_EXPONENTS))}") from None


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """A decimal amount in major units as an integer of minor units (exact, or an error)."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise AmountError("amount is not a number") from None
    if not value.is_finite():
        raise AmountError("amount is not a number")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{currency} amounts have at most {exponent(currency)} decimals")
    return int(scaled)


def check_minor(minor: int) -> int:
    if minor <= 0:
        raise AmountError("amount must be more than zero")
    if minor > MAX_MINOR:
        raise AmountError("amount is too large")
    return minor


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_amount(minor: int, currency: str) -> str:
    """'USD 1,250.00'"""
    places = exponent(currency)
    return f"{currency} {to_major(minor, currency):,.{places}f}"


def line_total(quantity: Decimal, unit_minor: int) -> int:
    """quantity x unit price, rounded half-up to the minor unit."""
    return int((quantity * unit_minor).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
