"""A page of a partner's proposal list costs the same DynamoDB calls at 100,000 proposals as at 100.

The list reads by key and index only (never Scan), one Query per page whatever the filters, so its
cost does not grow with the table. Both partners' proposals share one table here; the 100,000 are
written straight into moto's table (its API would take minutes for as many items; the items are the
same as the portal writes (bench/records.py, shared with the data-access scaling benchmark), and only
the list's own calls are counted).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bench.records import seed_sent_proposals
from local.template import Stack
from tests.support.lambda_env import LambdaHarness
from tests.support.partners import http_event, partner_identity


@pytest.fixture
def counted_list(stack: Stack, lambdas: LambdaHarness) -> Any:
    """The list handler, and the DynamoDB operations each of its invocations made."""
    handler = lambdas.handler("PartnersListProposalsFunction")
    from portal_common import aws

    calls: list[str] = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))

    def page(partner_id: str, **query: str) -> tuple[dict[str, Any], Counter[str]]:
        calls.clear()
        answer = handler(http_event("GET", "/partners/proposals", query=query, identity=partner_identity(partner_id)))
        assert answer["statusCode"] == 200, answer["body"]
        return json.loads(answer["body"]), Counter(calls)

    return page


def test_a_list_page_costs_the_same_dynamodb_calls_at_100_and_at_100000_proposals(
    stack: Stack, counted_list: Any
) -> None:
    # Given one partner with 100 sent proposals and another with 100,000, in the same table
    seed_sent_proposals(stack, "small", 100)
    seed_sent_proposals(stack, "large", 100_000)
    for query in ({}, {"owner": "Sam Keeper", "range": "30d"}, {"opportunity": "roof"}):
        # When each asks for the first page and the next one, with the same filters
        small, small_calls = counted_list("small", **query)
        large, large_calls = counted_list("large", **query)
        large_next, large_next_calls = counted_list("large", **query, cursor=large["next_cursor"])
        pages = [small_calls, large_calls, large_next_calls]
        if small["next_cursor"]:
            pages.append(counted_list("small", **query, cursor=small["next_cursor"])[1])
        # Then every page makes the same calls: one GetItem (the owner menu) and one Query, never a Scan
        assert all(calls == Counter(GetItem=1, Query=1) for calls in pages), (query, pages)
        # And they are full pages of the partner's own proposals, newest first (by date)
        assert len(large["items"]) == len(large_next["items"]) == 20, query
        assert small["items"] and large["items"] and large["next_cursor"]
        assert all(row["proposal_id"].startswith("EP-large-") for row in large["items"] + large_next["items"])
        if "opportunity" not in query:
            dates = [row["sent_at"] for row in large["items"] + large_next["items"]]
            assert dates == sorted(dates, reverse=True)
