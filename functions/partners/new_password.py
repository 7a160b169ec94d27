"""GET/POST /partners/new-password (first sign-in): portal_common.auth.routes.new_password."""

from pathlib import Path

from portal_common.auth.portals import PARTNERS
from portal_common.auth.routes import new_password
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
new_password.register(app, PARTNERS)

lambda_handler = entrypoint(app)
