"""The intake form: the one form outsiders use to send us work (a partner's RPH, an advertiser's lead).

It looks and works the same in every portal (the Partners portal's RPH creation and Leadworks' lead
creation), so it lives here once:

- ``models.IntakeFields``: the fields and their rules (customer, contact, property address, ZIP,
  problem description), ``models.parse_intake(form) -> (fields | None, {field: problem})``;
- ``photos.PhotoDraft``: photos uploaded straight to the images bucket (presigned POST, no size limit
  of the API in the way) into a per-owner draft, checked by their bytes when the form is sent;
- ``templates/intake/_form.html``: the Jinja macros ``intake_photos(...)`` and ``intake_form(...)``
  (accessible, usable without script; with script the typed text survives a photo upload).

A portal page does ``{% from "intake/_form.html" import intake_photos, intake_form %}``; the
template folder is registered when this package is imported.
"""

from pathlib import Path

from portal_common.web.pages import add_template_dir

add_template_dir(Path(__file__).parent / "templates")
