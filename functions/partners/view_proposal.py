"""GET /partners/proposals/{proposal_id}: one proposal in three tabs (Main, Products, Images gallery).

The tabs are links (?tab=...), so the page works without script; with script they switch in place.
Another partner's proposal, or one not sent yet, answers 404 like one that does not exist.
"""

from pathlib import Path as FilePath
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from partner_pages import partner_page
from partner_web import json_answer, partner_actor, signed_in_partner
from proposals.models import ProposalId
from proposals.partner_view import view_proposal
from proposals.presentation import TABS, image_views, partner_json

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import wants_json

app = portal_app(templates=FilePath(__file__).parent / "templates")


@app.get("/partners/proposals/<proposal_id>", responses=docs.page_or_json())
def show(
    proposal_id: Annotated[ProposalId, Path()],
    tab: Annotated[Literal["main", "products", "images"], Query()] = "main",
    done: Annotated[Literal["", "accepted", "declined"], Query()] = "",
):
    identity = signed_in_partner(app)
    proposal = view_proposal(identity.subject_id, proposal_id, partner_actor(app, identity))
    views = image_views(proposal)
    if wants_json(app.current_event):
        return json_answer(partner_json(proposal, views))
    return partner_page(
        app,
        "proposals/detail.html",
        title=f"Proposal {proposal.proposal_id}",
        proposal=proposal,
        images=views,
        tab=tab,
        tabs=TABS,
        done=done,
        active="proposals",
    )


lambda_handler = entrypoint(app)
