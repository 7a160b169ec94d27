"""The partner's RPHs: GET /partners/rph (newest first) and GET /partners/rph/{rph_id} (one, with its
photos). Only the partner's own: anyone else's answers 404."""

from pathlib import Path as FilePath
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from partner_pages import partner_page
from partner_web import json_answer, partner_actor, signed_in_partner
from rph import repository
from rph.domain import view_rph
from rph.models import Rph

from portal_common import images
from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app
from portal_common.web.negotiation import wants_json

app = portal_app(templates=FilePath(__file__).parent / "templates")
RphId = Annotated[str, Path(pattern=r"^RPH-[A-Z0-9]{16}$")]


@app.get("/partners/rph", responses=docs.page_or_json())
def list_rphs():
    identity = signed_in_partner(app)
    rphs = repository.list_for_owner(identity.subject_id)
    if wants_json(app.current_event):
        return json_answer({"items": [r.model_dump(mode="json") for r in rphs]})
    return partner_page(app, "rph/list.html", title="Your RPHs", rphs=rphs, active="rph")


@app.get("/partners/rph/<rph_id>", responses=docs.page_or_json(Rph))
def show_rph(rph_id: RphId, sent: Annotated[str, Query(max_length=1)] = ""):
    identity = signed_in_partner(app)
    rph = view_rph(identity.subject_id, rph_id, partner_actor(app, identity))
    if wants_json(app.current_event):
        return json_answer(rph)
    photos = [images.view_url(p.key, p.content_type) for p in rph.photos]
    return partner_page(
        app,
        "rph/view.html",
        title=f"RPH {rph.rph_id}",
        rph=rph,
        photos=photos,
        sent=bool(sent),
        active="rph",
    )


lambda_handler = entrypoint(app)
