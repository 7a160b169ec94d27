"""A page of a partner's proposal list costs the same DynamoDB calls at 100,000 proposals as at 100.

The list reads by key and index only (never Scan), one Query per page whatever the filters, so its
cost does not grow with the table. Both partners' proposals share one table here; the 100,000 are
written straight into moto's table (its API would take minutes for as many items; the items are the
same as the portal writes, and only the list's own calls are counted).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from local.template import Stack
from tests.support.lambda_env import LambdaHarness
from tests.support.partners import http_event, partner_identity

OWNERS = ("Dana Owner", "Sam Keeper", "Lee Holder")


def proposal_item(partner_id: str, n: int) -> dict[str, Any]:
    """A sent proposal as proposals.store writes it (only the attributes a list row and the indexes need)."""
    from datetime import UTC, datetime, timedelta

    sent = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=n + 1)
    sent_at = sent.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    owner = OWNERS[n % 3]
    opportunity = f"{'Roof' if n % 10 == 0 else 'Paving'} job {n}"
    inverted = 10**13 - int(sent.timestamp() * 1000)
    proposal_id = f"EP-{partner_id}-{n:06d}"
    plain = {
        "pk": f"PROPOSAL#{proposal_id}",
        "sk": "PROPOSAL",
        "proposal_id": proposal_id,
        "status": "sent",
        "partner_id": partner_id,
        "zip": "10001",
        "opportunity_name": opportunity,
        "opportunity_norm": opportunity.lower(),
        "account_name": f"Account {n}",
        "account_owner": owner,
        "owner_norm": owner.lower(),
        "property_address": {"street": "1 Main St", "city": "Springfield", "state": "NY", "zip": "10001"},
        "sent_at": sent_at,
        "partner_key": f"PARTNER#{partner_id}",
        "partner_owner_key": f"PARTNER#{partner_id}#OWNER#{owner.lower()}",
        "opportunity_sort": f"{opportunity.lower()}#{inverted:013d}",
    }
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in plain.items()}


def seed(stack: Stack, partner_id: str, count: int) -> None:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(stack.refs["ProposalsTable"])
    for n in range(count):
        table.put_item(proposal_item(partner_id, n))
    owners = {"pk": {"S": f"PARTNER#{partner_id}"}, "sk": {"S": "OWNERS"}, "owners": {"SS": list(OWNERS)}}
    table.put_item(owners)


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
    seed(stack, "small", 100)
    seed(stack, "large", 100_000)
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
