"""GET /crm/health: the CRM checks that the portals answer and which stage they run."""

from pydantic import BaseModel

from portal_common.settings import PortalSettings, load_settings
from portal_common.web.app import entrypoint, portal_app

settings = load_settings(PortalSettings)
app = portal_app()


class Health(BaseModel):
    status: str
    stage: str


@app.get("/crm/health")
def health() -> Health:
    return Health(status="ok", stage=settings.stage)


lambda_handler = entrypoint(app)
