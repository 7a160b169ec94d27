"""RPH creation: GET /partners/rph/new (the form) and POST /partners/rph (send it to us).

The form is the shared intake form (portal_common.intake; Leadworks uses the same). Photos go
straight to the images bucket first (each a presigned POST that S3 answers with a redirect back to
this page, so no script is needed); the details then make the RPH, labelled "external user", sent to
the CRM as an event in the same transaction.
"""

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from partner_pages import partner_page, posted
from partner_web import json_answer, origin, partner_actor, signed_in_partner
from rph.domain import create_rph, owner_of
from rph.models import Rph

from portal_common.errors import ValidationFailed
from portal_common.intake.models import IntakeFields, parse_intake
from portal_common.intake.photos import MAX_PHOTOS, PhotoDraft
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.identity import Identity
from portal_common.web.negotiation import wants_json
from portal_common.web.pages import redirect

app = portal_app(templates=Path(__file__).parent / "templates")


def _form_page(
    identity: Identity, draft: PhotoDraft, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    photos = draft.photos()
    back = f"{origin(app)}/partners/rph/new?draft={draft.draft_id}"
    upload = draft.upload_form(back) if len(photos) < MAX_PHOTOS else None
    return partner_page(
        app,
        "rph/new.html",
        status,
        title="Send us a job (new RPH)",
        photos=photos,
        upload=upload,
        max_photos=MAX_PHOTOS,
        values=values,
        errors=errors,
        draft_id=draft.draft_id,
        active="rph",
    )


@app.get("/partners/rph/new", responses=docs.page("The RPH form"))
def new_rph(draft: Annotated[str, Query(max_length=64)] = ""):
    identity = signed_in_partner(app)
    return _form_page(identity, PhotoDraft(owner_of(identity.subject_id), draft or None), {}, {})


@app.post(
    "/partners/rph",
    responses=docs.form_post(created=Rph, then="To the new RPH"),
    openapi_extensions=docs.form_body(IntakeFields, extra={"draft": {"type": "string", "maxLength": 64}}),
)
def send_rph():
    identity = signed_in_partner(app)
    fields = posted(app, identity)
    draft = PhotoDraft(owner_of(identity.subject_id), fields.get("draft") or None)
    intake, errors = parse_intake(fields)
    if intake is None:
        if wants_json(app.current_event):
            raise ValidationFailed("Some fields need attention.", field_errors=errors)
        return _form_page(identity, draft, fields, errors, 422)
    rph = create_rph(identity.subject_id, intake, draft, partner_actor(app, identity), identity.email)
    if wants_json(app.current_event):
        return json_answer(rph, 201)
    return redirect(f"/partners/rph/{rph.rph_id}?sent=1")


lambda_handler = entrypoint(app)
