"""PartnersTable: partners and the ZIP codes they hold. The only module that touches that table.

Access patterns (template: PartnersTable, pk + sk, no index):
    PARTNER#<id> / PROFILE   the partner                         get by id
    ZIP#<zip>    / CLAIM     {partner_id}: who holds the ZIP     get by ZIP (proposal routing)

Uniqueness is enforced by DynamoDB, never by a read before a write: a claim is put with
``attribute_not_exists(pk)`` in the same transaction as the profile (and its CRM event), so of two
registrations or moves onto one ZIP at the same moment exactly one commits; the other's whole
transaction is cancelled (ZipTaken, 409). A move deletes the old claim only while it is still ours
and updates the profile only while it still holds the old ZIP (no lost update between two moves).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clock import iso

from portal_common import aws
from portal_common.dynamo import from_item
from portal_common.errors import Conflict, NotFound
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from portal_common.settings import Settings, load_settings
from registry.models import Partner

PROFILE = "PROFILE"
CLAIM = "CLAIM"


class PartnersTableSettings(Settings):
    partners_table: str


class ZipTaken(Conflict):
    title = "This ZIP code already has a partner"


def _table() -> str:
    return load_settings(PartnersTableSettings).partners_table


def partner_key(partner_id: str) -> dict[str, str]:
    return {"pk": f"PARTNER#{partner_id}", "sk": PROFILE}


def zip_key(zip_code: str) -> dict[str, str]:
    return {"pk": f"ZIP#{zip_code}", "sk": CLAIM}


def zip_taken(zip_code: str) -> ZipTaken:
    return ZipTaken(
        f"ZIP code {zip_code} already belongs to another partner; each ZIP code has at most one partner.",
        field_errors={"zip": f"{zip_code} is taken"},
        next_step="Choose another ZIP code, or deactivate the partner that holds it first.",
    )


def _profile_item(partner: Partner) -> dict[str, Any]:
    item = partner.model_dump(mode="json", exclude_none=True)
    item.update(created_at=iso(partner.created_at), updated_at=iso(partner.updated_at))
    return {**partner_key(partner.partner_id), **item}


def get_partner(partner_id: str) -> Partner:
    item = (
        aws.client("dynamodb")
        .get_item(
            TableName=_table(), Key={k: {"S": v} for k, v in partner_key(partner_id).items()}, ConsistentRead=True
        )
        .get("Item")
    )
    if item is None:
        raise NotFound(f"There is no partner {partner_id}.")
    return Partner.model_validate(from_item(item))


def zip_holder(zip_code: str) -> str | None:
    """The partner id holding a ZIP code, or None (the ZIP is not covered)."""
    item = (
        aws.client("dynamodb")
        .get_item(TableName=_table(), Key={k: {"S": v} for k, v in zip_key(zip_code).items()}, ConsistentRead=True)
        .get("Item")
    )
    return from_item(item)["partner_id"] if item else None


def add_partner(partner: Partner, event: CrmEvent) -> None:
    with Transaction() as tx:
        tx.put(
            _table(),
            _profile_item(partner),
            unique="pk",
            on_conflict=Conflict(f"Partner {partner.partner_id} is already registered."),
        )
        tx.put(
            _table(),
            {**zip_key(partner.zip), "partner_id": partner.partner_id, "claimed_at": iso(partner.created_at)},
            unique="pk",
            on_conflict=zip_taken(partner.zip),
        )
        tx.event(event)


def save_changes(before: Partner, after: Partner, event: CrmEvent) -> None:
    """The profile as changed; a new ZIP moves the claim in the same transaction."""
    changed = Conflict("The partner was changed by someone else at the same time; please try again.")
    with Transaction() as tx:
        tx.put(
            _table(),
            _profile_item(after),
            condition="#s = :active AND #z = :zip AND updated_at = :seen",
            names={"#s": "status", "#z": "zip"},
            values={":active": "active", ":zip": before.zip, ":seen": iso(before.updated_at)},
            on_conflict=changed,
        )
        if after.zip != before.zip:
            tx.delete(
                _table(),
                zip_key(before.zip),
                condition="partner_id = :me",
                values={":me": before.partner_id},
                on_conflict=changed,
            )
            tx.put(
                _table(),
                {**zip_key(after.zip), "partner_id": after.partner_id, "claimed_at": iso(after.updated_at)},
                unique="pk",
                on_conflict=zip_taken(after.zip),
            )
        tx.event(event)


def mark_inactive(partner: Partner, at: datetime, event: CrmEvent) -> None:
    """Inactive, and its ZIP released (new proposals there are unassigned until another partner takes it)."""
    with Transaction() as tx:
        tx.update(
            _table(),
            partner_key(partner.partner_id),
            "SET #s = :inactive, updated_at = :at, deactivated_at = :at",
            condition="#s = :active",
            names={"#s": "status"},
            values={":inactive": "inactive", ":active": "active", ":at": iso(at)},
            on_conflict=Conflict("The partner is already deactivated."),
        )
        tx.delete(_table(), zip_key(partner.zip), condition="partner_id = :me", values={":me": partner.partner_id})
        tx.event(event)
