"""The partners authorizer: every protected /partners/ route (portal_common.auth.authorizer)."""

from portal_common.auth.authorizer import authorizer_handler
from portal_common.auth.portals import PARTNERS

lambda_handler = authorizer_handler(PARTNERS)
