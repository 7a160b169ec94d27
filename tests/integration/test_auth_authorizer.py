"""The portals' Lambda authorizers with sample events (events/<portal>/authorizer.json) against moto:
what passes, what is refused, and the identity handed to the routes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.template import Stack
from portal_common.auth import accounts, jwks
from portal_common.web.identity import Identity
from tests.support.lambda_env import LambdaHarness, sample_event
from tests.support.signin_users import (
    PASSWORD,
    PORTALS,
    create_user,
    id_claims,
    moto_jwks,
    sign_like_moto,
    unique_email,
)

FUNCTIONS = {
    "partners": ("PartnersSignInFunction", "PartnersAuthorizerFunction", "partner"),
    "leadworks": ("LeadworksSignInFunction", "AdvertisersAuthorizerFunction", "advertiser"),
}


@pytest.fixture(autouse=True)
def moto_signing_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    jwks.pool_keys.cache_clear()
    monkeypatch.setattr(jwks, "fetch_json", lambda url: moto_jwks())
    yield
    jwks.pool_keys.cache_clear()


def pool(stack: Stack, portal: str) -> str:
    return str(stack.refs[PORTALS[portal][0].removesuffix("Id")])


def client_id(stack: Stack, portal: str) -> str:
    return str(stack.refs[PORTALS[portal][1].removesuffix("Id")])


def signed_in(stack: Stack, lambdas: LambdaHarness, portal: str, **attributes: str) -> tuple[str, str, str]:
    """(email, subject id, session cookie value) of a user who just signed in."""
    email = unique_email(f"authz-{portal}")
    subject_id = f"S-{email[6:14]}"
    create_user(boto3.client("cognito-idp"), pool(stack, portal), email, {PORTALS[portal][2]: subject_id, **attributes})
    event = sample_event(f"{portal}/sign_in_post.json", body=json.dumps({"email": email, "password": PASSWORD}))
    answer = lambdas.invoke(FUNCTIONS[portal][0], event)
    assert answer["statusCode"] == 200, answer["body"]
    cookie = next(c for c in answer["cookies"] if c.startswith(f"__Host-{portal}-session="))
    return email, subject_id, cookie.split(";", 1)[0].split("=", 1)[1]


def authorize(lambdas: LambdaHarness, portal: str, cookie: str | None) -> dict[str, Any]:
    event = sample_event(f"{portal}/authorizer.json")
    if cookie is None:
        event.pop("cookies", None)
        event["headers"].pop("cookie", None)
    else:
        event["cookies"] = [f"__Host-{portal}-session={cookie}"]
        event["headers"]["cookie"] = f"__Host-{portal}-session={cookie}"
        event["identitySource"] = [event["headers"]["cookie"]]
    return lambdas.invoke(FUNCTIONS[portal][1], event)


def verdict(answer: dict[str, Any]) -> str:
    """The authorizer never denies (a bare 403 helps no one): it passes every request on, the
    signed-out ones marked so, with their portal's sign-in page, for the resolver to refuse."""
    assert answer["isAuthorized"] is True, answer
    context = answer.get("context") or {}
    if context.get("signed_in") == "no":
        assert set(context) == {"signed_in", "sign_in"} and context["sign_in"].endswith("/sign-in"), context
        return "signed out"
    Identity.model_validate(context)
    return "signed in"


def session_key(cookie: str) -> dict[str, Any]:
    import jwt

    claims = jwt.decode(cookie, options={"verify_signature": False})
    return {"pk": {"S": f"SESSION#{claims['origin_jti']}"}}


@pytest.mark.parametrize("portal", ["partners", "leadworks"])
def test_a_signed_in_user_passes_with_exactly_the_identity_fields(
    stack: Stack, lambdas: LambdaHarness, portal: str
) -> None:
    # Given a user who signed in
    email, subject_id, cookie = signed_in(stack, lambdas, portal)
    # When a protected route is called with the session cookie
    answer = authorize(lambdas, portal, cookie)
    # Then the authorizer allows it and hands on who it is: exactly the Identity fields
    assert answer["isAuthorized"] is True
    context = answer["context"]
    assert set(context) == set(Identity.model_fields)
    identity = Identity.model_validate(context)
    assert identity.kind == FUNCTIONS[portal][2]
    assert identity.subject_id == subject_id
    assert identity.email == email
    assert session_key(cookie)["pk"]["S"] == f"SESSION#{identity.session_id}"


def test_no_cookie_a_forged_cookie_and_another_portals_cookie_are_refused(stack: Stack, lambdas: LambdaHarness) -> None:
    _email, _subject, partner_cookie = signed_in(stack, lambdas, "partners")
    # a token with the right claims but signed with another key, and garbage
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    import jwt

    claims = jwt.decode(partner_cookie, options={"verify_signature": False})
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "dummy"})
    for cookie in (None, "not-a-token", forged, partner_cookie[:-3] + "abc"):
        assert verdict(authorize(lambdas, "partners", cookie)) == "signed out"
    # a partner's genuine cookie does not open Leadworks
    assert verdict(authorize(lambdas, "leadworks", partner_cookie)) == "signed out"


def test_an_expired_token_is_refused_even_with_its_session(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a genuine session whose token has expired (same session id, moto's key, exp in the past)
    _email, _subject, cookie = signed_in(stack, lambdas, "partners")
    import jwt

    claims = jwt.decode(cookie, options={"verify_signature": False})
    expired = sign_like_moto({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 60})
    still_fresh = sign_like_moto(claims)
    # Then the expired one is refused, while the same claims unexpired pass
    assert verdict(authorize(lambdas, "partners", expired)) == "signed out"
    assert verdict(authorize(lambdas, "partners", still_fresh)) == "signed in"


def test_a_token_of_the_right_pool_but_without_a_session_is_refused(stack: Stack, lambdas: LambdaHarness) -> None:
    # a genuine-looking ID token (moto's key, right issuer and client) that never signed in here
    token = sign_like_moto(
        id_claims(pool(stack, "partners"), client_id(stack, "partners"), **{"custom:partner_id": "P-1"})
    )
    assert verdict(authorize(lambdas, "partners", token)) == "signed out"


def test_idle_and_too_old_sessions_are_refused_and_activity_keeps_one_alive(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    ddb = boto3.client("dynamodb")
    table = stack.refs["SessionsTable"]
    _email, _subject, cookie = signed_in(stack, lambdas, "leadworks")
    key = session_key(cookie)
    now = int(time.time())

    def set_times(**values: int) -> None:
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{k} = :{k}" for k in values),
            ExpressionAttributeValues={f":{k}": {"N": str(v)} for k, v in values.items()},
        )

    # Given a session last seen 5 minutes ago (idle limit: 30 minutes)
    set_times(last_seen=now - 300)
    # Then it passes, and the request counts as activity
    assert verdict(authorize(lambdas, "leadworks", cookie)) == "signed in"
    assert int(ddb.get_item(TableName=table, Key=key)["Item"]["last_seen"]["N"]) >= now
    # Given a session idle for 31 minutes
    set_times(last_seen=now - 31 * 60)
    assert verdict(authorize(lambdas, "leadworks", cookie)) == "signed out"
    # Given an active session that started 9 hours ago (absolute limit: 8 hours)
    set_times(last_seen=now, created_at=now - 9 * 3600)
    assert verdict(authorize(lambdas, "leadworks", cookie)) == "signed out"


def test_disabling_a_user_ends_their_open_sessions(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a signed-in partner
    email, _subject, cookie = signed_in(stack, lambdas, "partners")
    assert verdict(authorize(lambdas, "partners", cookie)) == "signed in"
    # When the CRM disables the account (accounts helper, with the sessions table)
    accounts.set_user_enabled(pool(stack, "partners"), email, False, sessions_table=stack.refs["SessionsTable"])
    # Then the open session no longer passes
    assert verdict(authorize(lambdas, "partners", cookie)) == "signed out"
