"""GET /partners (behind the authorizer): portal_common.auth.routes.home."""

from pathlib import Path

from portal_common.auth.portals import PARTNERS
from portal_common.auth.routes import home
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
home.register(app, PARTNERS)

lambda_handler = entrypoint(app)
