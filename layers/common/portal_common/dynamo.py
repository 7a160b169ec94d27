"""DynamoDB attribute values to and from Python values, as boto3.dynamodb.types converts them.

    item = to_item({"pk": "LEAD#1", "count": 3, "note": None})   # None dropped: {"pk": {"S": ...}, ...}
    doc = from_item(item)                                        # numbers come back as Decimal

Why not boto3's TypeSerializer: importing ``boto3.dynamodb.types`` imports the ``boto3`` package,
and with it s3transfer and multiprocessing, which nothing here uses: about 20 ms of every cold
start (``make bench``). Our clients are botocore's (portal_common.aws). The conversions are the
same as boto3's (tests/unit/test_dynamo.py checks them against boto3 on generated values), except
that an empty set is refused here (DynamoDB refuses it too) and binary values come back as bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB numbers: 38 digits, exponent -130..125; a value that does not fit is refused, never rounded
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])

AttributeValue = dict[str, Any]


def _number(value: int | Decimal) -> str:
    return str(DYNAMODB_CONTEXT.create_decimal(value))


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def to_value(value: Any) -> AttributeValue:
    """One Python value as a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {k: to_value(v) for k, v in value.items()}}
    if isinstance(value, Set):
        return _set(value)
    if isinstance(value, (list, tuple)):
        return {"L": [to_value(v) for v in value]}
    raise TypeError(f"Unsupported type {type(value)} for value {value!r}")


def _set(value: Set[Any]) -> AttributeValue:
    if not value:
        raise TypeError("DynamoDB does not store empty sets; leave the attribute out instead.")
    if all(isinstance(v, str) for v in value):
        return {"SS": list(value)}
    if all(_is_number(v) for v in value):
        return {"NS": [_number(v) for v in value]}
    if all(isinstance(v, (bytes, bytearray)) for v in value):
        return {"BS": [bytes(v) for v in value]}
    raise TypeError(f"A set holds strings, numbers or bytes, one kind only: {value!r}")


def from_value(value: AttributeValue) -> Any:
    """One DynamoDB attribute value as a Python value (numbers as Decimal, sets as set)."""
    if len(value) != 1:
        raise TypeError(f"An attribute value has exactly one type: {value!r}")
    kind, data = next(iter(value.items()))
    match kind:
        case "S":
            return data
        case "N":
            return DYNAMODB_CONTEXT.create_decimal(data)
        case "BOOL":
            return data
        case "NULL":
            return None
        case "M":
            return {k: from_value(v) for k, v in data.items()}
        case "L":
            return [from_value(v) for v in data]
        case "B":
            return bytes(data)
        case "SS":
            return set(data)
        case "NS":
            return {DYNAMODB_CONTEXT.create_decimal(v) for v in data}
        case "BS":
            return {bytes(v) for v in data}
    raise TypeError(f"DynamoDB type {kind} is not supported")


def to_item(doc: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """A record as an item; attributes whose value is None are left out (not stored as NULL)."""
    return {k: to_value(v) for k, v in doc.items() if v is not None}


def from_item(item: Mapping[str, AttributeValue]) -> dict[str, Any]:
    return {k: from_value(v) for k, v in item.items()}
