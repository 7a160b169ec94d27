"""POST /crm/proposals: an external proposal, routed at once to the partner of its ZIP code
(or "unassigned", into the uncovered-ZIP report). The partner is not told: see crm_send_proposal."""

from partner_web import crm_actor, json_answer
from proposals.models import ProposalRequest
from proposals.routing import create_proposal

from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/proposals")
def create(request: ProposalRequest):
    return json_answer(create_proposal(request, crm_actor(app)), 201)


lambda_handler = entrypoint(app)
