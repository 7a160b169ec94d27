"""POST /crm/advertisers/{advertiser_id}/deactivate: no more sign-in (open sessions end); its leads stay."""

from typing import Annotated

from advertisers.deactivation import deactivate_advertiser
from advertisers.models import Advertiser, AdvertiserId
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from leadworks_web import crm_actor, json_answer

from portal_common.web import openapi_docs as docs
from portal_common.web.app import entrypoint, portal_app

app = portal_app()


@app.post(
    "/crm/advertisers/<advertiser_id>/deactivate", responses=docs.json_only(Advertiser, description="Deactivated")
)
def deactivate(advertiser_id: Annotated[AdvertiserId, Path()]) -> Response[str]:
    return json_answer(deactivate_advertiser(advertiser_id, crm_actor(app)))


lambda_handler = entrypoint(app)
