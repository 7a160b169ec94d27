"""The leadworks authorizer: every protected /leadworks/ route (portal_common.auth.authorizer)."""

from portal_common.auth.authorizer import authorizer_handler
from portal_common.auth.portals import LEADWORKS

lambda_handler = authorizer_handler(LEADWORKS)
