"""The lead form page (GET /leadworks/leads/new, and POST /leadworks/leads when the form needs
another look): exactly the intake form of the Partners portal's RPH creation (portal_common.intake)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from leads.models import photo_owner
from leadworks_web import origin

import portal_common.intake  # noqa: F401 - registers the intake form's templates
from portal_common.auth.signed_in import signed_in_page
from portal_common.intake.photos import MAX_PHOTOS, PhotoDraft
from portal_common.web.identity import Identity


def draft_of(identity: Identity, draft_id: str | None) -> PhotoDraft:
    """The advertiser's photo draft for this form (a new one when the id is absent or not valid)."""
    return PhotoDraft(photo_owner(identity.subject_id), draft_id or None)


def lead_form_page(
    app: APIGatewayHttpResolver,
    draft: PhotoDraft,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    *,
    own_lead_id: str | None = None,
    duplicate: bool = False,
) -> Response[str]:
    photos = draft.photos()
    back = f"{origin(app)}/leadworks/leads/new?draft={draft.draft_id}"
    upload = draft.upload_form(back) if len(photos) < MAX_PHOTOS else None
    return signed_in_page(
        app,
        "leads/new.html",
        status,
        title="New lead",
        photos=photos,
        upload=upload,
        max_photos=MAX_PHOTOS,
        values={k: v for k, v in values.items() if isinstance(v, str)},
        errors=errors,
        draft_id=draft.draft_id,
        duplicate=duplicate,
        own_lead_id=own_lead_id,
    )
