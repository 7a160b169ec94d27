"""GET /leadworks/leads/upload: the bulk upload page (a CSV of leads, its columns explained)."""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from leads.csv_rows import COLUMNS, MAX_BYTES, MAX_ROWS, REQUIRED
from leadworks_web import signed_in_advertiser

from portal_common.auth.signed_in import signed_in_page
from portal_common.intake.models import FIELD_LABELS
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")


@app.get("/leadworks/leads/upload", responses=docs.page("The upload form"))
def upload_page() -> Response[str]:
    signed_in_advertiser(app)
    return signed_in_page(app, "leads/upload.html", **upload_page_context())


def upload_page_context() -> dict[str, Any]:
    columns = [{"name": c, "label": FIELD_LABELS.get(c, c), "required": c in REQUIRED} for c in COLUMNS]
    return {"title": "Bulk upload", "columns": columns, "max_rows": MAX_ROWS, "max_mb": MAX_BYTES // (1024 * 1024)}


lambda_handler = entrypoint(app)
