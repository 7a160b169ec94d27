"""POST /crm/proposals/{proposal_id}/images: a presigned POST for one image of the proposal."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import json_answer
from proposals.models import ImageRequest, ProposalId, UploadAnswer
from proposals.uploads import upload_for_crm

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post(
    "/crm/proposals/<proposal_id>/images", responses=docs.json_only(UploadAnswer, 201, "A presigned POST for the image")
)
def presign(proposal_id: Annotated[ProposalId, Path()], request: ImageRequest):
    return json_answer(upload_for_crm(proposal_id, request.content_type), 201)


lambda_handler = entrypoint(app)
