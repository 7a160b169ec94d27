"""AdvertisersTable: the only module that touches it.

Access patterns (template: AdvertisersTable):
    ADVERTISER#<id> / PROFILE      the advertiser: get by id; a conditional put makes the id unique
"""

from __future__ import annotations

from typing import Any

from clock import iso

from advertisers.models import Advertiser
from portal_common import aws
from portal_common.dynamo import from_item
from portal_common.errors import Conflict, NotFound
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from portal_common.settings import Settings, load_settings

PROFILE = "PROFILE"


class AdvertisersTableSettings(Settings):
    advertisers_table: str


def _table() -> str:
    return load_settings(AdvertisersTableSettings).advertisers_table


def _key(advertiser_id: str) -> dict[str, Any]:
    return {"pk": f"ADVERTISER#{advertiser_id}", "sk": PROFILE}


def taken(advertiser_id: str) -> Conflict:
    return Conflict(f"An advertiser with the id {advertiser_id} is registered already.")


def add(advertiser: Advertiser, event: CrmEvent) -> None:
    item = advertiser.model_dump(mode="json")
    item.update(
        _key(advertiser.advertiser_id), created_at=iso(advertiser.created_at), updated_at=iso(advertiser.updated_at)
    )
    with Transaction() as tx:
        tx.put(_table(), item, unique="pk", on_conflict=taken(advertiser.advertiser_id))
        tx.event(event)


def get(advertiser_id: str) -> Advertiser:
    key = {k: {"S": v} for k, v in _key(advertiser_id).items()}
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("There is no such advertiser.")
    return Advertiser.model_validate(from_item(item))


def exists(advertiser_id: str) -> bool:
    try:
        get(advertiser_id)
    except NotFound:
        return False
    return True


def mark_inactive(advertiser: Advertiser, event: CrmEvent) -> None:
    with Transaction() as tx:
        tx.update(
            _table(),
            _key(advertiser.advertiser_id),
            "SET #status = :inactive, updated_at = :at",
            condition="attribute_exists(pk)",
            names={"#status": "status"},
            values={":inactive": "inactive", ":at": iso(advertiser.updated_at)},
        )
        tx.event(event)
