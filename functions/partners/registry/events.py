"""Events of the partner registry: one shape for registered, updated and deactivated."""

from __future__ import annotations

from portal_common.crm_contracts.partners import PartnerData
from portal_common.events import Actor, CrmEvent
from registry.models import Partner


def partner_event(kind: str, partner: Partner, actor: Actor, changed: list[str] | None = None) -> CrmEvent:
    data = PartnerData.model_validate({**partner.model_dump(exclude={"username"}), "changed": changed or []})
    return CrmEvent(
        type=f"partner.{kind}",
        portal="partners",
        actor=actor,
        subject=f"partner:{partner.partner_id}",
        data=data.model_dump(mode="json"),
    )
