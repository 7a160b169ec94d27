"""POST /leadworks/leads: create a lead from the intake form (or JSON). One lead per email address:
a second one, whoever sends it, is answered 409 (JSON) or with the form saying so (browsers)."""

from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from lead_form_page import draft_of, lead_form_page
from leads.creation import create_lead
from leads.models import Lead
from leads.repository import LeadAlreadyExists
from leadworks_web import advertiser_actor, json_answer, signed_in_advertiser

from portal_common.errors import ValidationFailed
from portal_common.intake.models import IntakeFields, parse_intake
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.errors import error_answer
from portal_common.web.forms import read_form
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

app = portal_app(templates=Path(__file__).parent / "templates")


@app.post(
    "/leadworks/leads",
    responses=docs.form_post(created=Lead, then="To the new lead"),
    openapi_extensions=docs.form_body(IntakeFields, extra={"draft": {"type": "string", "maxLength": 64}}),
)
def create() -> Response[str]:
    identity = signed_in_advertiser(app)
    fields = read_form(app, binding=identity.session_id)
    draft = draft_of(identity, fields.get("draft")) if fields.get("draft") else None
    intake, errors = parse_intake(fields)
    if intake is None:
        if wants_json(app.current_event):
            raise ValidationFailed("Some fields need attention.", field_errors=errors)
        return lead_form_page(app, draft or draft_of(identity, None), fields, errors, 422)
    lead = create_lead(identity.subject_id, intake, draft, advertiser_actor(app, identity), identity.email)
    if wants_json(app.current_event):
        return json_answer(lead, 201)
    return redirect(f"/leadworks/leads/{lead.lead_id}?created=1")


@app.exception_handler(LeadAlreadyExists)
def duplicate(exc: LeadAlreadyExists) -> Response[str]:
    if wants_json(app.current_event):
        return error_answer(app, 409, exc.code, exc.message, field_errors=exc.field_errors, next_step=exc.next_step)
    identity = signed_in_advertiser(app)
    fields = read_form(app, binding=identity.session_id)
    draft = draft_of(identity, fields.get("draft"))
    return lead_form_page(app, draft, fields, exc.field_errors, 409, own_lead_id=exc.own_lead_id, duplicate=True)


lambda_handler = entrypoint(app)
