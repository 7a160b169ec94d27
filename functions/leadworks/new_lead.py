"""GET /leadworks/leads/new: the lead form — the same intake form as the Partners portal's RPH."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from lead_form_page import draft_of, lead_form_page
from leadworks_web import signed_in_advertiser

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get("/leadworks/leads/new", responses=docs.page("The lead form"))
def new_lead(draft: Annotated[str, Query(max_length=64)] = "") -> Response[str]:
    identity = signed_in_advertiser(app)
    return lead_form_page(app, draft_of(identity, draft), {}, {})


lambda_handler = entrypoint(app)
