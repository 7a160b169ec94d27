"""GET/POST /leadworks/sign-in: portal_common.auth.routes.sign_in."""

from pathlib import Path

from portal_common.auth.portals import LEADWORKS
from portal_common.auth.routes import sign_in
from portal_common.web.app import entrypoint, portal_app

app = portal_app(templates=Path(__file__).parent / "templates")
sign_in.register(app, LEADWORKS)

lambda_handler = entrypoint(app)
