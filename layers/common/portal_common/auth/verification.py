"""A portal's ID tokens, verified against its own user pool and app client (from the environment)."""

from __future__ import annotations

from portal_common.auth.jwks import pool_keys
from portal_common.auth.portals import PortalAuth
from portal_common.auth.settings import PoolSettings
from portal_common.auth.tokens import IdClaims, verify_id_token
from portal_common.settings import load_settings


def verified_claims(portal: PortalAuth, token: str, *, verify_exp: bool = True) -> IdClaims:
    """The claims of a valid ID token of this portal's pool and client; TokenInvalid otherwise."""
    pool = load_settings(PoolSettings)
    claims = verify_id_token(
        token,
        pool_id=pool.user_pool_id,
        client_id=pool.user_pool_client_id,
        keys=pool_keys(pool.user_pool_id),
        verify_exp=verify_exp,
    )
    return IdClaims.from_claims(claims, portal.subject_claim)
