"""The images of a proposal: GET /partners/proposals/{id}/images (the gallery: JSON, or the gallery
tab) and GET /partners/proposals/{id}/images/{image_id} (one image, full size). Ownership is checked
first (404 otherwise); images are served from the bucket through presigned URLs of a few minutes."""

from pathlib import Path as FilePath
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_pages import partner_page
from partner_web import json_answer, partner_actor, signed_in_partner
from proposals.models import ProposalId
from proposals.partner_view import view_image, visible_proposal
from proposals.presentation import ImageView, image_view, image_views

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

app = portal_app(templates=FilePath(__file__).parent / "templates")
ImageId = Annotated[str, Path(pattern=r"^[a-f0-9]{16}$")]


@app.get(
    "/partners/proposals/<proposal_id>/images",
    responses=docs.merge(
        docs.redirect("Browsers: the proposal's Images tab"), docs.json_only(description="The images (API clients)")
    ),
)
def gallery(proposal_id: Annotated[ProposalId, Path()]):
    identity = signed_in_partner(app)
    proposal = visible_proposal(identity.subject_id, proposal_id)
    if not wants_json(app.current_event):
        return redirect(f"/partners/proposals/{proposal_id}?tab=images#tab-images")
    return json_answer(
        {"proposal_id": proposal_id, "images": [v.model_dump(mode="json") for v in image_views(proposal)]}
    )


@app.get("/partners/proposals/<proposal_id>/images/<image_id>", responses=docs.page_or_json(ImageView))
def full_size(proposal_id: Annotated[ProposalId, Path()], image_id: ImageId):
    identity = signed_in_partner(app)
    proposal, image = view_image(identity.subject_id, proposal_id, image_id, partner_actor(app, identity))
    view = image_view(proposal_id, image)
    if wants_json(app.current_event):
        return json_answer(view)
    index = next(n for n, i in enumerate(proposal.images) if i.image_id == image_id)
    return partner_page(
        app,
        "proposals/image.html",
        title=f"Image {index + 1} of proposal {proposal_id}",
        proposal=proposal,
        image=view,
        index=index,
        previous=proposal.images[index - 1].image_id if index > 0 else None,
        next=proposal.images[index + 1].image_id if index + 1 < len(proposal.images) else None,
        active="proposals",
    )


lambda_handler = entrypoint(app)
