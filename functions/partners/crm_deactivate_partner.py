"""POST /crm/partners/{partner_id}/deactivate: no more sign-in, and its ZIP code is released."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import crm_actor, json_answer
from registry.changes import deactivate_partner
from registry.models import Partner, PartnerId

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/partners/<partner_id>/deactivate", responses=docs.json_only(Partner, description="Deactivated"))
def deactivate(partner_id: Annotated[PartnerId, Path()]):
    return json_answer(deactivate_partner(partner_id, crm_actor(app)))


lambda_handler = entrypoint(app)
