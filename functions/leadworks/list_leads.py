"""GET /leadworks/leads: the signed-in advertiser's own leads, newest first, a page at a time."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from leads.models import LeadPage
from leads.reading import list_leads
from leadworks_web import advertiser_actor, json_answer, signed_in_advertiser

from portal_common.auth.signed_in import signed_in_page
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import wants_json

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get("/leadworks/leads", responses=docs.page_or_json(LeadPage))
def leads(after: Annotated[str, Query(max_length=64, pattern=r"^[0-9a-f]*$")] = "") -> Response[str]:
    identity = signed_in_advertiser(app)
    page = list_leads(identity.subject_id, after or None, advertiser_actor(app, identity))
    if wants_json(app.current_event):
        return json_answer(page)
    return signed_in_page(app, "leads/list.html", title="Leads", page=page, first_page=not after)


lambda_handler = entrypoint(app)
