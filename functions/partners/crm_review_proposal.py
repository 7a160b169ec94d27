"""POST /crm/proposals/{proposal_id}/review: the account manager has reviewed the proposal."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import crm_actor, json_answer
from proposals.models import Proposal, ProposalId, ReviewRequest
from proposals.review import review_proposal

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/proposals/<proposal_id>/review", responses=docs.json_only(Proposal, description="Reviewed"))
def review(proposal_id: Annotated[ProposalId, Path()], request: ReviewRequest):
    return json_answer(review_proposal(proposal_id, request.reviewed_by, crm_actor(app)))


lambda_handler = entrypoint(app)
