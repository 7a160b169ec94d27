"""The partner's answer to a proposal: accept it (to carry it on) or decline it with a reason.

POST /partners/proposals/{id}/accept, GET+POST /partners/proposals/{id}/decline (the reason form).
Each answer is one conditional change with its CRM event (external_proposal.accepted|declined) and
an activity event; a proposal can be answered once.
"""

from pathlib import Path as FilePath
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_pages import partner_page, posted
from partner_web import json_answer, partner_actor, signed_in_partner
from proposals.models import Decline, ProposalId
from proposals.partner_view import respond, visible_proposal

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.forms import validate
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

app = portal_app(templates=FilePath(__file__).parent / "templates")


def _answered(proposal_id: str, decision: str) -> Response:
    if wants_json(app.current_event):
        return json_answer({"proposal_id": proposal_id, "status": decision})
    return redirect(f"/partners/proposals/{proposal_id}?done={decision}")


@app.post(
    "/partners/proposals/<proposal_id>/accept",
    responses=docs.form_post(then="Back to the proposal"),
    openapi_extensions=docs.form_body(docs.NO_FIELDS),
)
def accept(proposal_id: Annotated[ProposalId, Path()]):
    identity = signed_in_partner(app)
    posted(app, identity)
    respond(identity.subject_id, proposal_id, "accepted", "", partner_actor(app, identity))
    return _answered(proposal_id, "accepted")


def _decline_page(proposal_id: str, identity, reason: str = "", errors: dict[str, str] | None = None) -> Response:  # type: ignore[no-untyped-def]
    proposal = visible_proposal(identity.subject_id, proposal_id)
    if proposal.status != "sent":
        return redirect(f"/partners/proposals/{proposal_id}")
    return partner_page(
        app,
        "proposals/decline.html",
        422 if errors else 200,
        title=f"Decline proposal {proposal_id}",
        proposal=proposal,
        reason=reason,
        errors=errors or {},
        active="proposals",
    )


@app.get(
    "/partners/proposals/<proposal_id>/decline",
    responses=docs.merge(docs.page("The form to give a reason"), docs.redirect("Already answered: the proposal")),
)
def decline_form(proposal_id: Annotated[ProposalId, Path()]):
    return _decline_page(proposal_id, signed_in_partner(app))


@app.post(
    "/partners/proposals/<proposal_id>/decline",
    responses=docs.form_post(then="Back to the proposal"),
    openapi_extensions=docs.form_body(Decline),
)
def decline(proposal_id: Annotated[ProposalId, Path()]):
    identity = signed_in_partner(app)
    fields = posted(app, identity)
    decision, errors = validate(Decline, fields)
    if decision is None:
        if wants_json(app.current_event):
            from portal_common.errors import ValidationFailed

            raise ValidationFailed("Give a reason for declining.", field_errors=errors)
        return _decline_page(
            proposal_id, identity, fields.get("reason", ""), {"reason": "Give a reason of at least 3 characters"}
        )
    respond(identity.subject_id, proposal_id, "declined", decision.reason, partner_actor(app, identity))
    return _answered(proposal_id, "declined")


lambda_handler = entrypoint(app)
