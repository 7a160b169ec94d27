"""POST /crm/partners: the CRM registers a partner with its one ZIP code (and its portal user)."""

from partner_web import crm_actor, json_answer
from registry.models import Partner, PartnerRegistration
from registry.registration import register_partner

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/partners", responses=docs.json_only(Partner, 201, "Registered"))
def register(registration: PartnerRegistration):
    return json_answer(register_partner(registration, crm_actor(app)), 201)


lambda_handler = entrypoint(app)
