"""The CRM keeps the nurtured contacts here up to date (upsert), each write with its event."""

from __future__ import annotations

from portal_common.crm_contracts.infosite import ContactSynced
from portal_common.events import Actor, CrmEvent, utc_now
from portal_common.outbox import Transaction

from . import contact_store
from .contacts import ContactUpsert, ContactView

CRM = Actor(kind="crm", label="CRM")


def upsert_contact(contact_id: str, data: ContactUpsert) -> ContactView:
    now = utc_now()
    with Transaction() as tx:
        contact_store.stage_upsert(tx, contact_id, data, now)
        tx.event(
            CrmEvent(
                type="contact.synced",
                portal="infosite",
                actor=CRM,
                subject=f"contact:{contact_id}",
                data=ContactSynced(contact_id=contact_id, kind=data.kind, owner=data.owner).model_dump(mode="json"),
            )
        )
    return ContactView.of(contact_store.require_contact(contact_id))
