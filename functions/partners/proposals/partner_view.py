"""One proposal as its partner sees it, and the partner's answer to it.

Every read checks ownership: a proposal that is not this partner's, or not sent yet, is answered
exactly like one that does not exist (404), in pages and JSON alike.
"""

from __future__ import annotations

from clock import now

from portal_common.crm_contracts.partners import ProposalAnswered
from portal_common.errors import NotFound
from portal_common.events import Actor, CrmEvent, activity_event
from portal_common.outbox import record_activity
from proposals import store, writes
from proposals.models import Image, PartnerResponse, Proposal

NOT_FOUND = "There is no such proposal in your list."


def visible_proposal(partner_id: str, proposal_id: str) -> Proposal:
    try:
        proposal = store.get(proposal_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    if not proposal.visible_to(partner_id):
        raise NotFound(NOT_FOUND)
    return proposal


def view_proposal(partner_id: str, proposal_id: str, actor: Actor) -> Proposal:
    proposal = visible_proposal(partner_id, proposal_id)
    record_activity("partners", actor, "viewed", f"external_proposal:{proposal_id}", "external_proposal", proposal_id)
    return proposal


def view_image(partner_id: str, proposal_id: str, image_id: str, actor: Actor) -> tuple[Proposal, Image]:
    proposal = visible_proposal(partner_id, proposal_id)
    image = next((i for i in proposal.images if i.image_id == image_id), None)
    if image is None:
        raise NotFound("There is no such image.")
    record_activity("partners", actor, "viewed", f"external_proposal:{proposal_id}", "proposal_image", image_id)
    return proposal, image


def respond(partner_id: str, proposal_id: str, decision: str, reason: str, actor: Actor) -> Proposal:
    """Accept (carry it on) or decline (with a reason): an event to the CRM either way."""
    proposal = visible_proposal(partner_id, proposal_id)
    if proposal.status != "sent":
        raise writes.StateChanged(f"You have {proposal.status} this proposal already.")
    at = now()
    subject = f"external_proposal:{proposal_id}"
    decided = CrmEvent(
        type=f"external_proposal.{decision}",
        portal="partners",
        actor=actor,
        subject=subject,
        data=ProposalAnswered(
            proposal_id=proposal_id,
            partner_id=partner_id,
            decision=decision,  # type: ignore[arg-type]
            reason=reason,
        ).model_dump(mode="json"),
    )
    touch = activity_event("partners", actor, decision, subject, "external_proposal", proposal_id)
    writes.respond(proposal_id, partner_id, decision, reason, at, actor.id or partner_id, [decided, touch])
    answer = PartnerResponse(decision=decision, reason=reason, at=at, by=actor.id or partner_id)  # type: ignore[arg-type]
    return proposal.model_copy(update={"status": decision, "response": answer})
