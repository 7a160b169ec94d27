"""portal_common.dynamo converts items as boto3.dynamodb.types does (boto3 is the oracle here; the
layer itself does not import boto3)."""

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_common.dynamo import from_item, from_value, to_item, to_value

numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**20), max_value=10**20),
)
scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=20), numbers, st.binary(min_size=1, max_size=8))
sets = st.one_of(
    st.frozensets(st.text(max_size=8), min_size=1, max_size=4),
    st.frozensets(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=4),
    st.frozensets(st.binary(min_size=1, max_size=4), min_size=1, max_size=4),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _canonical(value: Any) -> Any:
    """An attribute value with its sets' members sorted (a set has no order)."""
    if isinstance(value, dict):
        return {k: sorted(v, key=repr) if k in ("SS", "NS", "BS") else _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, Binary):
        return value.value
    return value


def _plain(value: Any) -> Any:
    """boto3's deserialized value with its Binary wrappers unwrapped (ours gives bytes)."""
    if isinstance(value, Binary):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_plain(v) for v in value}
    return value


@settings(max_examples=300, deadline=None)
@given(values)
def test_values_serialize_as_boto3_does(value: Any) -> None:
    # Given any value an item can hold, When it is serialized, Then it is what boto3 makes of it
    assert _canonical(to_value(value)) == _canonical(TypeSerializer().serialize(value))


@settings(max_examples=300, deadline=None)
@given(values)
def test_attribute_values_deserialize_as_boto3_does(value: Any) -> None:
    # Given an attribute value as DynamoDB returns it, When it is read, Then it is boto3's value
    attribute = TypeSerializer().serialize(value)
    assert from_value(attribute) == _plain(TypeDeserializer().deserialize(attribute))


def test_an_item_leaves_out_none_and_comes_back_whole() -> None:
    # Given a record with an absent (None) attribute
    doc = {"pk": "LEAD#1", "count": 3, "price": Decimal("9.90"), "tags": {"a"}, "note": None, "deep": {"x": None}}
    # When it becomes an item, Then the None attribute is left out (a nested None stays NULL)
    item = to_item(doc)
    assert "note" not in item and item["deep"] == {"M": {"x": {"NULL": True}}}
    # And reading it back gives the record without it, numbers as Decimal
    assert from_item(item) == {
        "pk": "LEAD#1",
        "count": Decimal(3),
        "price": Decimal("9.90"),
        "tags": {"a"},
        "deep": {"x": None},
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "Float types are not supported"),
        (set(), "empty sets"),
        ({"a", 1}, "one kind only"),
        (Decimal("1" * 39), ""),  # more digits than DynamoDB keeps: refused, never rounded
        (object(), "Unsupported type"),
    ],
)
def test_what_dynamodb_cannot_store_is_refused(value: Any, message: str) -> None:
    # Given a value DynamoDB cannot hold as it is, When it is serialized, Then it is refused
    with pytest.raises((TypeError, ArithmeticError), match=message or None):
        to_value(value)
