"""Demo data, seeded through the same code paths the CRM uses (the real /crm/ routes over HTTP).

Each portal adds a seeder: a function taking the running LocalStack and returning what it made for
the home page ({"portals": [...], "logins": [...], "links": [...]}).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger("local.seed")


def crm_call(stack: Any, method: str, path: str, body: Any = None) -> Any:
    """Call a /crm/ route of the local gateway as the CRM would; raises on a non-2xx answer."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - the local gateway
        f"{stack.gateway_url}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
            text = resp.read().decode()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {path} answered {exc.code}: {exc.read().decode()[:500]}") from exc
    return json.loads(text) if text else None


def seed_demo_data(stack: Any) -> dict[str, Any]:
    """Run every portal's seeder (local/portals/<portal>.py), collecting logins and links."""
    from local.portals import portal_modules

    demo: dict[str, Any] = {"portals": [], "logins": [], "links": []}
    health = crm_call(stack, "GET", "/crm/health")
    LOG.info("portals answer: %s", health)
    for module in portal_modules():
        if getattr(module, "PORTAL", None):
            demo["portals"].append(module.PORTAL)
        seeder: Callable[[Any], dict[str, Any]] | None = getattr(module, "seed", None)
        if seeder is None:
            continue
        made = seeder(stack)
        for key in ("logins", "links"):
            demo[key].extend(made.get(key, []))
    return demo
