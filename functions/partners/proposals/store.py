"""ProposalsTable: item shapes and reads by key. The only modules touching the table are this one,
proposals.queries (lists by index) and proposals.writes (state changes with their CRM events).

Items (template: ProposalsTable):
    PROPOSAL#<id> / PROPOSAL                  the proposal
    PROPOSAL#<id> / IMAGE#<uploaded_at>#<id>  its images (checked by their bytes, with a thumbnail)
    PARTNER#<id>  / OWNERS                    account owners of the partner's sent proposals (filter menu)

Index attributes, written only while they apply (sparse indexes):
    zip_status = UNASSIGNED, created_at                 ByZipStatus: the uncovered-ZIP report
    partner_key = PARTNER#<id>, sent_at                 ByPartner: a partner's list, newest first
    partner_owner_key = PARTNER#<id>#OWNER#<owner>      ByPartnerOwner (+ sent_at): filtered by owner
    partner_key, opportunity_sort = <name>#<inverted sent_at>
                                                        ByPartnerOpportunity: by opportunity name prefix
The partner_* attributes appear only when the proposal is sent: until then no partner index holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clock import iso

from portal_common import aws
from portal_common import dynamo as attribute_values
from portal_common.errors import NotFound
from portal_common.settings import Settings, load_settings
from proposals.models import Image, Proposal, normalise

PROPOSAL = "PROPOSAL"
OWNERS = "OWNERS"
UNASSIGNED = "UNASSIGNED"
_DATES = ("created_at", "reviewed_at", "sent_at")


class ProposalsTableSettings(Settings):
    proposals_table: str


def table() -> str:
    return load_settings(ProposalsTableSettings).proposals_table


def pk(proposal_id: str) -> str:
    return f"PROPOSAL#{proposal_id}"


def key(proposal_id: str) -> dict[str, str]:
    return {"pk": pk(proposal_id), "sk": PROPOSAL}


def owners_key(partner_id: str) -> dict[str, str]:
    return {"pk": f"PARTNER#{partner_id}", "sk": OWNERS}


def partner_key(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def partner_owner_key(partner_id: str, owner: str) -> str:
    return f"PARTNER#{partner_id}#OWNER#{normalise(owner)}"


def opportunity_sort(opportunity_name: str, sent_at: datetime) -> str:
    """Name first (prefix search), then newest first within a name (inverted milliseconds)."""
    inverted = 10**13 - int(sent_at.timestamp() * 1000)
    return f"{normalise(opportunity_name)}#{inverted:013d}"


def dynamo(values: dict[str, Any]) -> dict[str, Any]:
    return attribute_values.to_item(values)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return attribute_values.from_item(item)


def to_item(proposal: Proposal) -> dict[str, Any]:
    item = proposal.model_dump(mode="json", exclude={"images", "total"}, exclude_none=True)
    for name in _DATES:
        moment = getattr(proposal, name)
        if moment is not None:
            item[name] = iso(moment)
    item.update(key(proposal.proposal_id))
    item["opportunity_norm"] = normalise(proposal.opportunity_name)
    item["owner_norm"] = normalise(proposal.account_owner)
    if proposal.partner_id is None:
        item["zip_status"] = UNASSIGNED
    return item


def from_items(items: list[dict[str, Any]]) -> Proposal | None:
    """The proposal and its images from the items under its pk (one Query)."""
    record: dict[str, Any] | None = None
    images: list[Image] = []
    for raw in items:
        item = plain(raw)
        if item["sk"] == PROPOSAL:
            record = item
        elif item["sk"].startswith("IMAGE#"):
            images.append(Image.model_validate(item))
    if record is None:
        return None
    return Proposal.model_validate({**record, "images": images})


def get(proposal_id: str, *, consistent: bool = False) -> Proposal:
    """The proposal with its images: one Query on its pk. NotFound when there is none."""
    answer = aws.client("dynamodb").query(
        TableName=table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk(proposal_id)}},
        ConsistentRead=consistent,
    )
    proposal = from_items(answer.get("Items", []))
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return proposal


def owners(partner_id: str) -> list[str]:
    """Account owners of the partner's sent proposals, for the filter menu (one GetItem)."""
    item = (
        aws.client("dynamodb")
        .get_item(TableName=table(), Key=dynamo(owners_key(partner_id)), ProjectionExpression="owners")
        .get("Item")
    )
    return sorted(plain(item).get("owners", set()), key=str.lower) if item else []
