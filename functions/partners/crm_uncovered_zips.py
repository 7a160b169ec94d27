"""GET /crm/reports/uncovered-zips: unassigned proposals by ZIP code (no partner holds those ZIPs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from partner_web import json_answer
from proposals.models import UncoveredReport
from proposals.reports import uncovered_zips

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.get("/crm/reports/uncovered-zips", responses=docs.json_only(UncoveredReport, description="One page of the report"))
def report(cursor: Annotated[str | None, Query(max_length=500)] = None):
    return json_answer(uncovered_zips(cursor))


lambda_handler = entrypoint(app)
