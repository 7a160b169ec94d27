"""POST /leadworks/leads/upload: a CSV of leads. Every row gets a result (created, duplicate,
invalid with the reason), shown on the page (or answered as JSON) and kept as a CSV to download;
the valid rows become leads whatever happens to the others."""

from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from leads.uploads import UploadReport, upload_leads
from leadworks_web import advertiser_actor, json_answer, signed_in_advertiser
from upload_form import upload_page_context
from uploaded_file import uploaded_csv

from portal_common.auth.signed_in import signed_in_page
from portal_common.errors import BadRequest, PayloadTooLarge, PortalError, UnsupportedMediaType
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.errors import error_answer
from portal_common.web.negotiation import wants_json

app = portal_app(templates=Path(__file__).parent / "templates")


UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}, "csrf_token": {"type": "string"}},
                    "required": ["file", "csrf_token"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@app.post(
    "/leadworks/leads/upload",
    responses=docs.page_or_json(UploadReport, "The page with each row's result; API clients get the report"),
    openapi_extensions=UPLOAD,
)
def upload() -> Response[str]:
    identity = signed_in_advertiser(app)
    data, file_name = uploaded_csv(app, identity)
    context = app.lambda_context
    report = upload_leads(
        identity.subject_id,
        identity.email,
        data,
        advertiser_actor(app, identity),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    if wants_json(app.current_event):
        return json_answer(report, 200)
    return signed_in_page(app, "leads/upload.html", report=report, file_name=file_name, **upload_page_context())


# ValidationFailed is a BadRequest: a file that cannot be read as a whole (e.g. its columns)
@app.exception_handler([BadRequest, PayloadTooLarge, UnsupportedMediaType])
def unreadable_file(exc: PortalError) -> Response[str]:
    """Browsers get the upload page again, saying what is wrong with the file; API clients the error."""
    if wants_json(app.current_event):
        return error_answer(app, exc.status, exc.code, exc.message, field_errors=exc.field_errors)
    return signed_in_page(app, "leads/upload.html", exc.status, problem=exc.message, **upload_page_context())


lambda_handler = entrypoint(app)
