"""POST /crm/proposals/{proposal_id}/route: an unassigned proposal goes to the partner that now holds its ZIP."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import crm_actor, json_answer
from proposals.models import Proposal, ProposalId
from proposals.routing import route_again

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/proposals/<proposal_id>/route", responses=docs.json_only(Proposal, description="Routed again"))
def route(proposal_id: Annotated[ProposalId, Path()]):
    return json_answer(route_again(proposal_id, crm_actor(app)))


lambda_handler = entrypoint(app)
