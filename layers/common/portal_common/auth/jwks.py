"""The user pool's signing keys (JWKS): fetched once per process, cached, refetched only for a key
id never seen before (Cognito rotating its keys), and then at most every few minutes.

The issuer is always the real Cognito URL, ``https://cognito-idp.<region>.amazonaws.com/<pool>``.
The keys come from wherever boto3 talks to Cognito: on AWS the same host; on the local stack the
embedded AWS (moto serves ``<endpoint>/<pool>/.well-known/jwks.json`` and signs with one fixed key).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jwt

from portal_common import aws
from portal_common.auth.errors import TokenInvalid
from portal_common.errors import ServiceUnavailable
from portal_common.observability import logger

REFETCH_AFTER_SECONDS = 300
FETCH_TIMEOUT_SECONDS = 3


def pool_region(pool_id: str) -> str:
    return pool_id.split("_", 1)[0]


def issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{pool_region(pool_id)}.amazonaws.com/{pool_id}"


def jwks_url(pool_id: str, endpoint_url: str | None = None) -> str:
    endpoint = endpoint_url or str(aws.client("cognito-idp").meta.endpoint_url)
    host = urlsplit(endpoint).hostname or ""
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        return f"{issuer(pool_id)}/.well-known/jwks.json"
    return f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"


def fetch_json(url: str) -> dict[str, Any]:
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"not a web URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as answer:  # noqa: S310 - scheme checked
            doc = json.load(answer)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        logger.warning("could not fetch the user pool's keys", extra={"jwks_url": url, "error": repr(exc)})
        raise ServiceUnavailable("We cannot check sign-ins right now. Please try again in a moment.") from exc
    if not isinstance(doc, dict):
        raise ServiceUnavailable("We cannot check sign-ins right now. Please try again in a moment.")
    return doc


class KeySet:
    """The signing keys behind one URL."""

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0

    def _load(self) -> None:
        doc = (self._fetch or fetch_json)(self.url)
        keys: dict[str, jwt.PyJWK] = {}
        for jwk in doc.get("keys") or []:
            try:
                key = jwt.PyJWK.from_dict(jwk)
            except jwt.PyJWTError:
                continue  # a key type or algorithm we do not use
            if key.key_id:
                keys[key.key_id] = key
        self._keys = keys
        self._fetched_at = self._clock()

    def signing_key(self, key_id: str | None) -> jwt.PyJWK:
        if not key_id:
            raise TokenInvalid("no key id")
        stale = self._clock() - self._fetched_at >= REFETCH_AFTER_SECONDS
        if self._keys is None or (key_id not in self._keys and stale):
            self._load()
        assert self._keys is not None
        key = self._keys.get(key_id)
        if key is None:
            raise TokenInvalid("unknown key id")
        return key


@cache
def pool_keys(pool_id: str) -> KeySet:
    """The pool's keys, one KeySet per process."""
    return KeySet(jwks_url(pool_id))
