"""POST /crm/proposals: an external proposal, routed at once to the partner of its ZIP code
(or "unassigned", into the uncovered-ZIP report). The partner is not told: see crm_send_proposal."""

from partner_web import crm_actor, json_answer
from proposals.models import Proposal, ProposalRequest
from proposals.routing import create_proposal

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/proposals", responses=docs.json_only(Proposal, 201, "Created, and routed by its ZIP code"))
def create(request: ProposalRequest):
    return json_answer(create_proposal(request, crm_actor(app)), 201)


lambda_handler = entrypoint(app)
