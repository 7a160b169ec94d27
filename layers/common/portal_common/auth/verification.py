"""A portal's ID tokens, verified against its own user pool and app client (from the environment).

PyJWT (and with it cryptography, about 40 ms of a cold start) is imported on the first verification:
the sign-in and sign-out functions import this module, but their pages (a GET of the sign-in form)
verify nothing (``make bench``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal_common.auth.portals import PortalAuth
from portal_common.auth.settings import PoolSettings
from portal_common.settings import load_settings

if TYPE_CHECKING:
    from portal_common.auth.tokens import IdClaims


def verified_claims(portal: PortalAuth, token: str, *, verify_exp: bool = True) -> IdClaims:
    """The claims of a valid ID token of this portal's pool and client; TokenInvalid otherwise."""
    from portal_common.auth.jwks import pool_keys
    from portal_common.auth.tokens import IdClaims, verify_id_token

    pool = load_settings(PoolSettings)
    claims = verify_id_token(
        token,
        pool_id=pool.user_pool_id,
        client_id=pool.user_pool_client_id,
        keys=pool_keys(pool.user_pool_id),
        verify_exp=verify_exp,
    )
    return IdClaims.from_claims(claims, portal.subject_claim)
