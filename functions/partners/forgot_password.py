"""GET/POST /partners/forgot-password and /partners/forgot-password/confirm: portal_common.auth.routes.forgot_password."""

from pathlib import Path

from portal_common.auth.portals import PARTNERS
from portal_common.auth.routes import forgot_password
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
forgot_password.register(app, PARTNERS)

lambda_handler = entrypoint(app)
