"""GET /crm/payments/report (CRM, IAM): the CC Payments report — attempts by date range, invoice and
outcome, as JSON or CSV (?format=csv or Accept: text/csv), a page at a time: ``limit`` attempts at
most (1,000 unless asked, up to 5,000); when more follow, the JSON's ``next_cursor`` (the CSV's
``X-Next-Cursor`` header) is the ``cursor`` of the next page."""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from card_payments import report
from card_payments.models import Report, ReportQuery

from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import header

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get(
    "/crm/payments/report",
    responses={
        200: {
            "description": "The CC Payments report",
            "content": {"application/json": {"model": Report}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def payments_report(
    date_from: Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD (UTC)")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD (UTC)")] = None,
    invoice: Annotated[str | None, Query(description="one invoice's attempts")] = None,
    outcome: Annotated[
        str | None, Query(description="comma-separated: succeeded,declined,failed,refused,blocked,pending")
    ] = None,
    format: Annotated[str | None, Query(description="json (default) or csv")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="attempts per page (1,000 unless asked)")] = 1000,
    cursor: Annotated[str | None, Query(max_length=1000, description="the previous page's next_cursor")] = None,
):  # type: ignore[no-untyped-def]  # JSON or CSV: see responses
    wants_csv = format == "csv" or (format is None and "text/csv" in header(app.current_event, "accept"))
    query = ReportQuery.model_validate(
        {
            "from": date_from,
            "to": date_to,
            "invoice": invoice,
            "outcomes": outcome,
            "format": "csv" if wants_csv else "json",
            "limit": limit,
            "cursor": cursor,
        }
    )
    result = report.build_report(query)
    if query.format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="cc-payments-report.csv"', "Cache-Control": "no-store"}
        if result.next_cursor:
            headers["X-Next-Cursor"] = result.next_cursor
        return Response(200, "text/csv; charset=utf-8", report.as_csv(result), headers)
    return Response(200, "application/json", result)


lambda_handler = entrypoint(app)
