"""The local runner's Lambda event filtering for stream sources: which records reach a function."""

from __future__ import annotations

import json

import pytest

from local.event_sources import stream_filter


def criteria(*patterns: dict[str, object]) -> dict[str, object]:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def record(event_name: str, event_type: str | None = None) -> dict[str, object]:
    image = {"pk": {"S": "EVENT#1"}} | ({"type": {"S": event_type}} if event_type else {})
    return {"eventName": event_name, "dynamodb": {"NewImage": image, "SizeBytes": 10}}


def test_the_receipt_mailers_filter_lets_only_new_paid_events_through() -> None:
    # Given the pattern template.yaml gives PaymentsSendReceiptFunction
    wanted = stream_filter(
        criteria({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"type": {"S": ["card_payment.succeeded"]}}}})
    )
    # Then a new paid event passes, and other types, other event names and untyped items do not
    assert wanted(record("INSERT", "card_payment.succeeded"))
    assert not wanted(record("INSERT", "card_payment.started"))
    assert not wanted(record("MODIFY", "card_payment.succeeded"))
    assert not wanted(record("INSERT"))


def test_no_filter_lets_everything_through_and_any_of_several_patterns_is_enough() -> None:
    assert stream_filter(None)(record("REMOVE"))
    either = stream_filter(criteria({"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}))
    assert either(record("INSERT")) and either(record("REMOVE")) and not either(record("MODIFY"))


def test_prefix_anything_but_and_exists_rules() -> None:
    wanted = stream_filter(
        criteria({"a": [{"prefix": "ab"}], "b": [{"anything-but": ["x"]}], "c": [{"exists": False}]})
    )
    assert wanted({"a": "abc", "b": "y"})
    assert not wanted({"a": "zz", "b": "y"})
    assert not wanted({"a": "abc", "b": "x"})
    assert not wanted({"a": "abc", "b": "y", "c": 1})


def test_a_rule_the_runner_does_not_know_stops_it_instead_of_being_ignored() -> None:
    with pytest.raises(ValueError, match="numeric"):
        stream_filter(criteria({"a": [{"numeric": [">", 1]}]}))
