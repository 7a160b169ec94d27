"""GET /leadworks/leads/{lead_id}: one of the advertiser's own leads, with the archived
correspondence attached to it. Another advertiser's lead is "not found", like no lead at all."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.openapi.params import Query
from leads.models import LeadDetail
from leads.reading import lead_detail
from leadworks_web import advertiser_actor, json_answer, signed_in_advertiser

from portal_common import images
from portal_common.auth.signed_in import signed_in_page
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import wants_json

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get("/leadworks/leads/<lead_id>", responses=docs.page_or_json(LeadDetail))
def view(
    lead_id: Annotated[str, PathParam(max_length=100)],
    created: Annotated[str, Query(max_length=1)] = "",
) -> Response[str]:
    identity = signed_in_advertiser(app)
    detail = lead_detail(identity.subject_id, lead_id, advertiser_actor(app, identity))
    if wants_json(app.current_event):
        return json_answer(detail)
    photos = [images.view_url(p.key, p.content_type) for p in detail.lead.photos]
    return signed_in_page(app, "leads/detail.html", title="Lead", detail=detail, photos=photos, created=created == "1")


lambda_handler = entrypoint(app)
