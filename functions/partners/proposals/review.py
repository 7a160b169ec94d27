"""The account manager's review: the step before a proposal may be sent to its partner."""

from __future__ import annotations

from clock import now

from portal_common.crm_contracts.partners import ProposalReviewed
from portal_common.events import Actor, CrmEvent
from proposals import store, writes
from proposals.models import Proposal


def review_proposal(proposal_id: str, reviewed_by: str, actor: Actor) -> Proposal:
    proposal = store.get(proposal_id, consistent=True)
    if proposal.status != "new":
        return proposal  # reviewed (or sent) already: the same answer again
    at = now()
    event = CrmEvent(
        type="external_proposal.reviewed",
        portal="partners",
        actor=actor,
        subject=f"external_proposal:{proposal_id}",
        data=ProposalReviewed(proposal_id=proposal_id, reviewed_by=reviewed_by).model_dump(mode="json"),
    )
    writes.mark_reviewed(proposal_id, reviewed_by, at, event)
    return proposal.model_copy(update={"status": "reviewed", "reviewed_at": at, "reviewed_by": reviewed_by})
