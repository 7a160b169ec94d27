"""POST /crm/nurture-emails: the CRM asks for one Nurture P2 email to a contact (IAM-authorized).

Answers 202: the email is queued (NurtureQueue) and sent by send_nurture_email.py.
"""

from pathlib import Path

from aws_lambda_powertools.event_handler import Response, content_types
from infosite.nurture import NurtureEmailOrder, QueuedNurtureEmail
from infosite.nurture_orders import queue_nurture_email

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")


@app.post("/crm/nurture-emails", responses=docs.json_only(QueuedNurtureEmail, 202, "Queued"))
def post_nurture_email(order: NurtureEmailOrder) -> Response[QueuedNurtureEmail]:
    queued = queue_nurture_email(order)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=queued)


lambda_handler = entrypoint(app)
