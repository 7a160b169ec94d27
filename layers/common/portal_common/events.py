"""Events to the CRM: one envelope for everything the portals tell the CRM.

Every event is written to the outbox table in the same DynamoDB transaction as the record it is
about (portal_common.outbox), and the relay (functions/crm/relay_outbox.py) sends it to the CRM's
FIFO queue, deduplicated by ``event_id``. JSON Schemas of the envelope and of each event's data
are generated from these models into docs/events/ (``python -m portal_common.event_schemas``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"
EXTERNAL_USER: Final = "external user"  # the label of every record an outsider creates through a portal
Portal = Literal["partners", "leadworks", "payments", "infosite", "crm"]
ActorKind = Literal["partner", "advertiser", "customer", "contact", "crm", "system", "anonymous"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Actor(BaseModel):
    """Who did it, and from where."""

    model_config = ConfigDict(frozen=True)

    kind: ActorKind
    id: str | None = None
    label: str | None = Field(default=None, description="e.g. 'external user' for portal-created records")
    source_ip: str | None = None
    user_agent: str | None = None


class CrmEvent(BaseModel):
    """The envelope of every event sent to the CRM."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str = Field(description="dotted name, e.g. 'lead.created', 'activity'")
    occurred_at: datetime = Field(default_factory=utc_now)
    portal: Portal
    actor: Actor
    subject: str = Field(description="what the event is about, e.g. 'lead:ann@example.com'")
    data: dict[str, Any] = Field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION


class ActivityData(BaseModel):
    """data of an ``activity`` event: a touch by someone outside the company."""

    action: Literal[
        "signed_in",
        "signed_out",
        "viewed",
        "created",
        "updated",
        "paid",
        "payment_failed",
        "downloaded",
        "unsubscribed",
        "requested_quote",
        "accepted",
        "declined",
    ]
    record_type: str | None = None
    record_id: str | None = None


def activity_event(
    portal: Portal,
    actor: Actor,
    action: str,
    subject: str,
    record_type: str | None = None,
    record_id: str | None = None,
) -> CrmEvent:
    data = ActivityData.model_validate({"action": action, "record_type": record_type, "record_id": record_id})
    return CrmEvent(type="activity", portal=portal, actor=actor, subject=subject, data=data.model_dump())
