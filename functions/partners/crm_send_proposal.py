"""POST /crm/proposals/{proposal_id}/send: the proposal goes to its partner, with the notice email.
Only now can the partner see it. Sending again sends no second email."""

from pathlib import Path as FilePath
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import crm_actor, json_answer, origin
from proposals.models import ProposalId, SendAnswer, SendRequest
from proposals.sending import send_proposal

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=FilePath(__file__).parent / "templates")


@app.post("/crm/proposals/<proposal_id>/send", responses=docs.json_only(SendAnswer, description="Sent"))
def send(proposal_id: Annotated[ProposalId, Path()], request: SendRequest):
    return json_answer(send_proposal(proposal_id, request, crm_actor(app), origin(app)))


lambda_handler = entrypoint(app)
