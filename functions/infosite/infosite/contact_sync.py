"""The CRM keeps the nurtured contacts here up to date (upsert), each write with its event."""

from __future__ import annotations

from portal_common.crm_contracts.infosite import ContactSynced
from portal_common.events import Actor, CrmEvent, utc_now
from portal_common.outbox import Transaction

from . import contact_store
from .contacts import ContactUpsert, ContactView

CRM = Actor(kind="crm", label="CRM")


def upsert_contact(contact_id: str, data: ContactUpsert) -> ContactView:
    """The answer is made from the request and what the upsert keeps (the unsubscribed flag), read
    before the write: nothing can fail once the write and its event are committed, so a CRM that
    retries after an error answer never gets a second ``contact.synced`` for a write that happened."""
    now = utc_now()
    kept = contact_store.get_contact(contact_id)
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
    return ContactView(
        id=contact_id,
        **data.model_dump(include={"name", "email", "phone", "company", "kind", "owner"}),
        unsubscribed=kept.unsubscribed if kept else False,
        unsubscribed_at=kept.unsubscribed_at if kept else None,
    )
