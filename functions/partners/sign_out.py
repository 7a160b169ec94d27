"""POST /partners/sign-out: portal_common.auth.routes.sign_out."""

from pathlib import Path

from portal_common.auth.portals import PARTNERS
from portal_common.auth.routes import sign_out
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
sign_out.register(app, PARTNERS)

lambda_handler = entrypoint(app)
