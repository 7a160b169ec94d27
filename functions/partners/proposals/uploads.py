"""Images of a proposal, uploaded by the CRM straight into the images bucket (presigned POST).

    uploads/proposals/<proposal id>/<image id>

The POST is limited to the declared image type, 10 MB and 10 minutes. The image appears on the
proposal only after the thumbnail function has checked its bytes and made its thumbnail.
"""

from __future__ import annotations

import secrets

from portal_common import images
from proposals import store
from proposals.models import UploadAnswer

UPLOAD_EXPIRY_SECONDS = 300


def image_key(proposal_id: str, image_id: str) -> str:
    return f"{images.UPLOADS}proposals/{proposal_id}/{image_id}"


def upload_for_crm(proposal_id: str, content_type: str) -> UploadAnswer:
    store.get(proposal_id)  # 404 for a proposal that does not exist
    image_id = secrets.token_hex(8)
    form = images.upload_form(
        image_key(proposal_id, image_id), content_type=content_type, expires_in=UPLOAD_EXPIRY_SECONDS
    )
    return UploadAnswer(
        image_id=image_id, url=form.url, fields=form.fields, expires_in=form.expires_in, max_bytes=form.max_bytes
    )
