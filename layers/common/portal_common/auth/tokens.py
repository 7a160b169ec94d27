"""Cognito ID tokens: verified before anything in them is believed.

Verified: the RS256 signature against the pool's keys (the ``kid`` in the header picks the key; no
other algorithm is accepted), the issuer (the pool), the audience (the portal's app client), the
expiry, and ``token_use`` = ``id`` (an access token of the same pool is refused).
"""

from __future__ import annotations

from typing import Any, Protocol

import jwt
from pydantic import BaseModel, ConfigDict

from portal_common.auth.errors import TokenExpired, TokenInvalid
from portal_common.auth.jwks import issuer

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 10  # clock skew between Cognito and us
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "token_use"]


class SigningKeys(Protocol):
    def signing_key(self, key_id: str | None) -> jwt.PyJWK: ...


class IdClaims(BaseModel):
    """What we use from a verified ID token."""

    model_config = ConfigDict(frozen=True)

    sub: str
    session_id: str  # origin_jti: the same for every token of one sign-in; else jti
    username: str
    email: str | None
    subject_id: str | None  # the portal's claim (partner id / advertiser id)
    access_start: str | None
    access_end: str | None
    expires_at: int

    @classmethod
    def from_claims(cls, claims: dict[str, Any], subject_claim: str) -> IdClaims:
        def text(name: str) -> str | None:
            value = claims.get(name)
            return str(value) if value not in (None, "") else None

        return cls(
            sub=str(claims["sub"]),
            session_id=str(claims.get("origin_jti") or claims.get("jti") or ""),
            username=str(claims.get("cognito:username") or claims["sub"]),
            email=text("email"),
            subject_id=text(subject_claim),
            access_start=text("custom:access_start"),
            access_end=text("custom:access_end"),
            expires_at=int(claims["exp"]),
        )


def verify_id_token(
    token: str,
    *,
    pool_id: str,
    client_id: str,
    keys: SigningKeys,
    verify_exp: bool = True,
) -> dict[str, Any]:
    """The token's claims if it is a valid ID token of this pool and client; TokenInvalid otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenInvalid("malformed") from None
    if header.get("alg") not in ALGORITHMS:
        raise TokenInvalid("algorithm")
    key = keys.signing_key(header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=ALGORITHMS,
            audience=client_id,
            issuer=issuer(pool_id),
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS, "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError as exc:
        raise TokenInvalid(type(exc).__name__) from None
    if claims.get("token_use") != "id":
        raise TokenInvalid("token_use")
    if not (claims.get("origin_jti") or claims.get("jti")):
        raise TokenInvalid("no jti")
    return claims
