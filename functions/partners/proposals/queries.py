"""Lists by index, never Scan: one Query per page whatever the table holds.

A page is one Query with ``Limit = size + 1`` on the index that matches the filters (see
proposals.store for the indexes): the extra item only tells whether there is a next page. The
cursor is opaque to the caller (base64url JSON) and holds only the last row's sort value and id;
the partition always comes from the signed-in partner, never from the cursor, so a cursor cannot
reach another partner's rows. A cursor made for another index is refused (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clock import iso

from portal_common import aws, cursors
from proposals import store
from proposals.models import ProposalSummary, normalise

PAGE_SIZE = 20


@dataclass(frozen=True)
class Filters:
    owner: str = ""
    since: datetime | None = None
    opportunity: str = ""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(index: str, sort_value: str, proposal_id: str) -> str:
    return cursors.encode(index, {"s": sort_value, "p": proposal_id})


def decode_cursor(cursor: str, index: str) -> tuple[str, str]:
    position = cursors.decode(cursor, index, ("s", "p"))
    return position["s"], position["p"]


def _page(
    *,
    index: str,
    hash_attr: str,
    hash_value: str,
    sort_attr: str,
    key_condition: str,
    values: dict[str, Any],
    ascending: bool,
    cursor: str | None,
    size: int,
    filter_expression: str | None = None,
) -> Page:
    request: dict[str, Any] = {
        "TableName": store.table(),
        "IndexName": index,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": store.dynamo(values),
        "ScanIndexForward": ascending,
        "Limit": size + 1,
    }
    if filter_expression:
        request["FilterExpression"] = filter_expression
    if cursor:
        sort_value, proposal_id = decode_cursor(cursor, index)
        request["ExclusiveStartKey"] = store.dynamo(
            {hash_attr: hash_value, sort_attr: sort_value, **store.key(proposal_id)}
        )
    answer = aws.client("dynamodb").query(**request)
    rows = [store.plain(item) for item in answer.get("Items", [])]
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor(index, last[sort_attr], last["proposal_id"])
    elif answer.get("LastEvaluatedKey"):  # a filter left the page short: more may follow
        last_key = store.plain(answer["LastEvaluatedKey"])
        next_cursor = encode_cursor(index, last_key[sort_attr], last_key["pk"].removeprefix("PROPOSAL#"))
    return Page(rows=rows, next_cursor=next_cursor)


def partner_page(partner_id: str, filters: Filters, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """A page of the partner's sent proposals: newest first (by opportunity name when searching by it)."""
    since = iso(filters.since) if filters.since else None
    opportunity = normalise(filters.opportunity)
    if filters.owner:
        hash_value = store.partner_owner_key(partner_id, filters.owner)
        condition, values = "partner_owner_key = :h", {":h": hash_value}
        if since:
            condition += " AND sent_at >= :since"
            values[":since"] = since
        filter_expression = None
        if opportunity:
            filter_expression = "begins_with(opportunity_norm, :opp)"
            values[":opp"] = opportunity
        return _page(
            index="ByPartnerOwner",
            hash_attr="partner_owner_key",
            hash_value=hash_value,
            sort_attr="sent_at",
            key_condition=condition,
            values=values,
            ascending=False,
            cursor=cursor,
            size=size,
            filter_expression=filter_expression,
        )
    hash_value = store.partner_key(partner_id)
    if opportunity:
        values = {":h": hash_value, ":opp": opportunity}
        filter_expression = None
        if since:
            filter_expression = "sent_at >= :since"
            values[":since"] = since
        return _page(
            index="ByPartnerOpportunity",
            hash_attr="partner_key",
            hash_value=hash_value,
            sort_attr="opportunity_sort",
            key_condition="partner_key = :h AND begins_with(opportunity_sort, :opp)",
            values=values,
            ascending=True,
            cursor=cursor,
            size=size,
            filter_expression=filter_expression,
        )
    condition, values = "partner_key = :h", {":h": hash_value}
    if since:
        condition += " AND sent_at >= :since"
        values[":since"] = since
    return _page(
        index="ByPartner",
        hash_attr="partner_key",
        hash_value=hash_value,
        sort_attr="sent_at",
        key_condition=condition,
        values=values,
        ascending=False,
        cursor=cursor,
        size=size,
    )


def summary(row: dict[str, Any]) -> ProposalSummary:
    return ProposalSummary(
        proposal_id=row["proposal_id"],
        opportunity_name=row["opportunity_name"],
        account_name=row["account_name"],
        account_owner=row["account_owner"],
        status=row["status"],
        zip=row["zip"],
        city=row["property_address"]["city"],
        sent_at=row["sent_at"],
    )


def unassigned_page(cursor: str | None = None, size: int = 100) -> Page:
    """Unassigned proposals (no partner holds their ZIP), newest first: the uncovered-ZIP report."""
    return _page(
        index="ByZipStatus",
        hash_attr="zip_status",
        hash_value=store.UNASSIGNED,
        sort_attr="created_at",
        key_condition="zip_status = :h",
        values={":h": store.UNASSIGNED},
        ascending=False,
        cursor=cursor,
        size=size,
    )
