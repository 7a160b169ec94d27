"""GET /leadworks/leads/upload/{upload_id}/report.csv: the per-row report of one of the signed-in
advertiser's uploads (anyone else's is not found)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from leads.report_download import download_report
from leadworks_web import advertiser_actor, signed_in_advertiser

from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.get(
    "/leadworks/leads/upload/<upload_id>/report.csv",
    responses={200: {"description": "The upload's report", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def report(upload_id: Annotated[str, Path(max_length=64)]) -> Response[bytes]:
    identity = signed_in_advertiser(app)
    data = download_report(identity.subject_id, upload_id, advertiser_actor(app, identity))
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=data,
        headers={
            "Content-Disposition": f'attachment; filename="lead-upload-{upload_id}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


lambda_handler = entrypoint(app)
