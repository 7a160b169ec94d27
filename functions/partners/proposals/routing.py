"""Creating a proposal and routing it to the partner of its ZIP code (at most one: never a choice).

With no partner on the ZIP the proposal is "unassigned": it waits in the uncovered-ZIP report
until a partner takes the ZIP and the CRM routes it again (``route_again``).
"""

from __future__ import annotations

from clock import now
from registry import repository as partners

from portal_common.crm_contracts.partners import ProposalRouted
from portal_common.events import Actor, CrmEvent
from proposals import store, writes
from proposals.models import Proposal, ProposalRequest, new_proposal_id


def _event(kind: str, proposal: Proposal, actor: Actor) -> CrmEvent:
    data = ProposalRouted(
        proposal_id=proposal.proposal_id,
        partner_id=proposal.partner_id,
        zip=proposal.zip,
        assignment="assigned" if proposal.assigned else "unassigned",
    )
    return CrmEvent(
        type=f"external_proposal.{kind}",
        portal="partners",
        actor=actor,
        subject=f"external_proposal:{proposal.proposal_id}",
        data=data.model_dump(mode="json"),
    )


def create_proposal(request: ProposalRequest, actor: Actor) -> Proposal:
    zip_code = Proposal.routing_zip(request.property_address)
    proposal = Proposal(
        **request.model_dump(exclude={"proposal_id"}),
        proposal_id=request.proposal_id or new_proposal_id(),
        status="new",
        partner_id=partners.zip_holder(zip_code),
        zip=zip_code,
        created_at=now(),
    )
    writes.create(proposal, _event("created", proposal, actor))
    return proposal


def route_again(proposal_id: str, actor: Actor) -> Proposal:
    """An unassigned proposal goes to the partner that holds its ZIP now (409 if none does yet)."""
    proposal = store.get(proposal_id, consistent=True)
    if proposal.assigned:
        raise writes.StateChanged(f"This proposal is already assigned to partner {proposal.partner_id}.")
    holder = partners.zip_holder(proposal.zip)
    if holder is None:
        raise writes.StateChanged(
            f"No partner holds ZIP code {proposal.zip} yet.", next_step="Register a partner for it, then try again."
        )
    assigned = proposal.model_copy(update={"partner_id": holder})
    writes.assign(proposal_id, holder, _event("assigned", assigned, actor))
    return assigned
