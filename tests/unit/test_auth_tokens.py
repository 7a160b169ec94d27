"""ID token verification (portal_common.auth.tokens) with keys made here: what passes, and every way
a token is refused (signature, issuer, audience, expiry, token use, algorithm, key id)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portal_common.auth.errors import TokenExpired, TokenInvalid
from portal_common.auth.jwks import KeySet, issuer, jwks_url
from portal_common.auth.tokens import IdClaims, verify_id_token

POOL = "us-east-1_TestPool1"
CLIENT = "client-abc"
KID = "key-1"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys(private_key: rsa.RSAPrivateKey) -> KeySet:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    document = {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}
    return KeySet("https://example.invalid/jwks.json", fetch=lambda url: document)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": issuer(POOL),
        "sub": "user-sub-1",
        "aud": CLIENT,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "jti": "jti-1",
        "origin_jti": "origin-1",
        "cognito:username": "user-sub-1",
        "custom:partner_id": "P-9",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(key: rsa.RSAPrivateKey, kid: str = KID, algorithm: str = "RS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm=algorithm, headers={"kid": kid})


def verify(value: str, keys: KeySet, **kwargs: Any) -> dict[str, Any]:
    return verify_id_token(value, pool_id=POOL, client_id=CLIENT, keys=keys, **kwargs)


def test_a_genuine_id_token_verifies_and_names_its_session(private_key: rsa.RSAPrivateKey, keys: KeySet) -> None:
    verified = IdClaims.from_claims(verify(token(private_key), keys), "custom:partner_id")
    assert verified.sub == "user-sub-1"
    assert verified.session_id == "origin-1"  # origin_jti: the same for every token of one sign-in
    assert verified.subject_id == "P-9"
    assert verified.email is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool"}, "InvalidIssuerError"),
        ({"iss": "https://evil.example.com/us-east-1_TestPool1"}, "InvalidIssuerError"),
        ({"aud": "another-client"}, "InvalidAudienceError"),
        ({"token_use": "access"}, "token_use"),
        ({"token_use": None}, "MissingRequiredClaimError"),
        ({"aud": None, "client_id": CLIENT}, "MissingRequiredClaimError"),  # an access token's shape
        ({"sub": None}, "MissingRequiredClaimError"),
        ({"jti": None, "origin_jti": None}, "no jti"),
    ],
)
def test_a_token_with_wrong_claims_is_refused(
    private_key: rsa.RSAPrivateKey, keys: KeySet, overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(TokenInvalid) as refused:
        verify(token(private_key, **overrides), keys)
    assert refused.value.reason == reason


def test_an_expired_token_is_refused_unless_sign_out_asks(private_key: rsa.RSAPrivateKey, keys: KeySet) -> None:
    old = token(private_key, iat=int(time.time()) - 7200, exp=int(time.time()) - 60)
    with pytest.raises(TokenExpired):
        verify(old, keys)
    # signing out still needs to know which session an expired cookie names
    assert verify(old, keys, verify_exp=False)["origin_jti"] == "origin-1"


def test_a_token_signed_with_another_key_is_refused(keys: KeySet) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenInvalid) as refused:
        verify(token(impostor), keys)
    assert refused.value.reason == "InvalidSignatureError"


def test_a_changed_payload_breaks_the_signature(private_key: rsa.RSAPrivateKey, keys: KeySet) -> None:
    header, _payload, signature = token(private_key).split(".")
    _h, other_payload, _s = token(private_key, **{"custom:partner_id": "P-OTHER"}).split(".")
    with pytest.raises(TokenInvalid):
        verify(f"{header}.{other_payload}.{signature}", keys)


@pytest.mark.parametrize("value", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_refused(keys: KeySet, value: str) -> None:
    with pytest.raises(TokenInvalid):
        verify(value, keys)


def test_only_rs256_is_accepted(keys: KeySet) -> None:
    # an HMAC token "signed" with something public must never pass (algorithm confusion)
    hs = jwt.encode(claims(), "shared-secret-that-is-long-enough-32b", algorithm="HS256", headers={"kid": KID})
    none = jwt.encode(claims(), None, algorithm="none", headers={"kid": KID})
    for value in (hs, none):
        with pytest.raises(TokenInvalid) as refused:
            verify(value, keys)
        assert refused.value.reason == "algorithm"


def test_an_unknown_key_id_is_refused(private_key: rsa.RSAPrivateKey, keys: KeySet) -> None:
    with pytest.raises(TokenInvalid) as refused:
        verify(token(private_key, kid="unknown"), keys)
    assert refused.value.reason == "unknown key id"


def test_keys_are_fetched_once_and_again_only_for_a_new_key_id_after_a_while() -> None:
    fetches: list[str] = []
    clock = [1000.0]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)

    def fetch(url: str) -> dict[str, Any]:
        fetches.append(url)
        return {"keys": [{**public, "kid": "k1", "alg": "RS256"}]}

    keys = KeySet("https://example.invalid/jwks.json", fetch=fetch, clock=lambda: clock[0])
    for _ in range(3):
        keys.signing_key("k1")
    assert len(fetches) == 1  # cached
    with pytest.raises(TokenInvalid):
        keys.signing_key("k2")  # unknown, but fetched a moment ago: no new fetch
    assert len(fetches) == 1
    clock[0] += 301
    with pytest.raises(TokenInvalid):
        keys.signing_key("k2")  # a rotation may have happened: fetch again, once
    assert len(fetches) == 2


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            "https://cognito-idp.eu-west-1.amazonaws.com",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc/.well-known/jwks.json",
        ),
        (
            "https://cognito-idp-fips.eu-west-1.amazonaws.com",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc/.well-known/jwks.json",
        ),
        ("http://127.0.0.1:5123", "http://127.0.0.1:5123/eu-west-1_Abc/.well-known/jwks.json"),
    ],
)
def test_the_jwks_comes_from_where_boto3_talks_to_cognito(endpoint: str, expected: str) -> None:
    assert jwks_url("eu-west-1_Abc", endpoint) == expected
    # while the issuer is always the real Cognito URL
    assert issuer("eu-west-1_Abc") == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
