"""POST /crm/advertisers: the CRM registers an advertiser (and its Leadworks user)."""

from advertisers.models import Advertiser, AdvertiserRegistration
from advertisers.registration import register_advertiser
from aws_lambda_powertools.event_handler import Response
from leadworks_web import crm_actor, json_answer

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post("/crm/advertisers", responses=docs.json_only(Advertiser, 201, "Registered"))
def register(registration: AdvertiserRegistration) -> Response[str]:
    return json_answer(register_advertiser(registration, crm_actor(app)), 201)


lambda_handler = entrypoint(app)
