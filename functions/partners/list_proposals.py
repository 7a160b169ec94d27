"""GET /partners/proposals: the signed-in partner's proposals, newest first, by pages, with filters.

Filters are query parameters (a GET form: works without script): owner, range, opportunity; the
page's search bar then refines the rows shown. API clients asking for JSON get the same page.
"""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from partner_pages import answer
from partner_web import signed_in_partner
from proposals.partner_list import RANGES, RangeName, list_for_partner

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get("/partners/proposals", responses=docs.page_or_json())
def list_proposals(
    owner: Annotated[str, Query(max_length=120)] = "",
    range_name: Annotated[RangeName, Query(alias="range")] = "",
    opportunity: Annotated[str, Query(max_length=120)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    identity = signed_in_partner(app)
    view = list_for_partner(
        identity.subject_id, owner=owner, range_name=range_name, opportunity=opportunity, cursor=cursor or None
    )
    filters = {"owner": owner, "range": range_name, "opportunity": opportunity}
    return answer(
        app,
        "proposals/list.html",
        view.page,
        title="Your proposals",
        page=view.page,
        owners=view.owners,
        filters=filters,
        filtered=any(filters.values()),
        ranges=RANGES,
        first_page=not cursor,
        active="proposals",
    )


lambda_handler = entrypoint(app)
