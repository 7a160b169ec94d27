"""Test data for the sign-in tests: portal users made with Cognito's admin API (the Partners and
Leadworks registration routes will make them for real), tokens signed like moto signs them, and the
hidden CSRF token of a page's form."""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import moto

PASSWORD = "Sign-in-Test-2026"
MOTO_KEYS = Path(moto.__file__).parent / "cognitoidp" / "resources"
PORTALS = {
    # portal: (user pool output, app client output, subject claim)
    "partners": ("PartnersUserPoolId", "PartnersUserPoolClientId", "custom:partner_id"),
    "leadworks": ("AdvertisersUserPoolId", "AdvertisersUserPoolClientId", "custom:advertiser_id"),
}


def unique_email(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@example.com"


def create_user(
    idp: Any,
    pool_id: str,
    email: str,
    attributes: dict[str, str],
    *,
    password: str = PASSWORD,
    permanent: bool = True,
    enabled: bool = True,
) -> str:
    """A portal user; with ``permanent=False`` it still has to replace ``password`` (temporary)."""
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        TemporaryPassword=password,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in {"email": email, **attributes}.items()],
    )["User"]
    if permanent:
        idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    if not enabled:
        idp.admin_disable_user(UserPoolId=pool_id, Username=email)
    return str(user["Username"])


def moto_jwks() -> dict[str, Any]:
    """The public keys moto serves at <endpoint>/<pool>/.well-known/jwks.json (one fixed key)."""
    return json.loads(gzip.decompress((MOTO_KEYS / "jwks-public.json.gz").read_bytes()))


def sign_like_moto(claims: dict[str, Any]) -> str:
    """A token signed with moto's own private key: genuine to our verifier, with the claims we want."""
    private = jwt.PyJWK.from_dict(json.loads(gzip.decompress((MOTO_KEYS / "jwks-private.json.gz").read_bytes())))
    return jwt.encode(claims, private.key, algorithm="RS256", headers={"kid": "dummy"})


def id_claims(pool_id: str, client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    region = pool_id.split("_", 1)[0]
    return {
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        "sub": str(uuid.uuid4()),
        "aud": client_id,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "origin_jti": str(uuid.uuid4()),
        **overrides,
    }


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def browser_like_client(base_url: str, **kwargs: Any) -> Any:
    """An httpx client that keeps and sends our __Host- cookies the way a browser does on
    http://127.0.0.1 (httpx itself never sends a Secure cookie over plain http). ``client.jar``
    holds them by name."""
    import httpx

    jar: dict[str, str] = {}

    def send_cookies(request: httpx.Request) -> None:
        if jar:
            request.headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())

    def keep_cookies(response: httpx.Response) -> None:
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if not value or "Max-Age=0" in raw:
                jar.pop(name, None)
            else:
                jar[name] = value

    client = httpx.Client(
        base_url=base_url,
        timeout=60,
        follow_redirects=False,
        event_hooks={"request": [send_cookies], "response": [keep_cookies]},
        **kwargs,
    )
    client.jar = jar  # type: ignore[attr-defined]
    return client
