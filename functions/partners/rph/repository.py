"""IntakeTable for RPHs: the only module that touches it for the Partners portal.

Access patterns (template: IntakeTable):
    RPH#<id> / RECORD                          the RPH                         get by id
    GSI ByOwner: owner_key = PARTNER#<id>, created_at                a partner's RPHs, newest first
"""

from __future__ import annotations

from typing import Any

from clock import iso

from portal_common import aws
from portal_common.dynamo import from_item, to_value
from portal_common.errors import Conflict, NotFound
from portal_common.events import CrmEvent
from portal_common.outbox import Transaction
from portal_common.settings import Settings, load_settings
from rph.models import Rph

RECORD = "RECORD"


class IntakeTableSettings(Settings):
    intake_table: str


class RphExists(Conflict):
    title = "This RPH was sent already"


def _table() -> str:
    return load_settings(IntakeTableSettings).intake_table


def _key(rph_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"RPH#{rph_id}"}, "sk": {"S": RECORD}}


def add(rph: Rph, events: list[CrmEvent]) -> None:
    item = rph.model_dump(mode="json")
    item.update(
        pk=f"RPH#{rph.rph_id}", sk=RECORD, owner_key=f"PARTNER#{rph.partner_id}", created_at=iso(rph.created_at)
    )
    with Transaction() as tx:
        tx.put(_table(), item, unique="pk", on_conflict=RphExists("This RPH was sent already."))
        for event in events:
            tx.event(event)


def get(rph_id: str) -> Rph:
    item = aws.client("dynamodb").get_item(TableName=_table(), Key=_key(rph_id)).get("Item")
    if item is None:
        raise NotFound("There is no such RPH.")
    return Rph.model_validate(from_item(item))


def list_for_owner(partner_id: str, limit: int = 50) -> list[Rph]:
    answer = aws.client("dynamodb").query(
        TableName=_table(),
        IndexName="ByOwner",
        KeyConditionExpression="owner_key = :o",
        ExpressionAttributeValues={":o": to_value(f"PARTNER#{partner_id}")},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [Rph.model_validate(from_item(i)) for i in answer.get("Items", [])]
