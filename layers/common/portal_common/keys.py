"""The HMAC keys behind signed links and CSRF tokens, from Secrets Manager, rotatable.

The secret (template: LinkSigningSecret) is JSON:
    {"current_id": "k2", "secret": "<current key>", "previous_id": "k1", "previous_secret": "<old key>"}
Tokens name the key id they were signed with; both keys verify during a rotation, only the current
one signs. ``rotated(secret, new_id, new_key)`` gives the next version (see README, "Rotating keys").
The value is cached per process for five minutes (portal_common.secret_values), so a rotation is
seen by every function within that time.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from portal_common.secret_values import json_secret
from portal_common.settings import Settings, load_settings

CACHE_SECONDS = 300


class SigningSettings(Settings):
    link_signing_secret_arn: str


class KeyRing:
    def __init__(self, doc: dict[str, Any]):
        self.current_id = str(doc["current_id"])
        self._keys = {self.current_id: str(doc["secret"]).encode()}
        if doc.get("previous_id") and doc.get("previous_secret"):
            self._keys[str(doc["previous_id"])] = str(doc["previous_secret"]).encode()

    def sign(self, purpose: str, message: bytes, key_id: str | None = None) -> bytes:
        key = self._keys[key_id or self.current_id]
        # one key, many purposes: derive a purpose key so a CSRF token can never pass as a link
        purpose_key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()
        return hmac.new(purpose_key, message, hashlib.sha256).digest()

    def verify(self, purpose: str, message: bytes, signature: bytes, key_id: str) -> bool:
        if key_id not in self._keys:
            return False
        return hmac.compare_digest(self.sign(purpose, message, key_id), signature)


def key_ring() -> KeyRing:
    arn = load_settings(SigningSettings).link_signing_secret_arn
    return KeyRing(json_secret(arn, max_age=CACHE_SECONDS))


def rotated(doc: dict[str, Any], new_id: str, new_secret: str) -> dict[str, Any]:
    """The secret's next version: the new key signs, the current one still verifies."""
    return {
        "current_id": new_id,
        "secret": new_secret,
        "previous_id": doc["current_id"],
        "previous_secret": doc["secret"],
    }
