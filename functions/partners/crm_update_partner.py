"""PATCH /crm/partners/{partner_id}: the CRM changes a partner (a new ZIP moves its claim)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from partner_web import crm_actor, json_answer
from registry.changes import change_partner
from registry.models import Partner, PartnerChanges, PartnerId

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.patch("/crm/partners/<partner_id>", responses=docs.json_only(Partner, description="Changed"))
def update(partner_id: Annotated[PartnerId, Path()], changes: PartnerChanges):
    return json_answer(change_partner(partner_id, changes, crm_actor(app)))


lambda_handler = entrypoint(app)
