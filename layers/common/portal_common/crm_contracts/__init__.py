"""The contract with the CRM: the event envelope and each event type's data, as pydantic models.

One module per portal (``crm_contracts.<portal>``) declares ``EVENTS = {"type": DataModel}``;
portal code builds its events' ``data`` from these models. ``python -m portal_common.crm_contracts``
writes their JSON Schemas to docs/events/ (a test checks they are current).
"""

from __future__ import annotations

import importlib
import pkgutil

from pydantic import BaseModel

from portal_common.events import ActivityData

SHARED_EVENTS: dict[str, type[BaseModel]] = {"activity": ActivityData}


def catalog() -> dict[str, type[BaseModel]]:
    """Every event type the portals send, with the model of its ``data``."""
    events = dict(SHARED_EVENTS)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, model in getattr(module, "EVENTS", {}).items():
            if name in events and events[name] is not model:
                raise ValueError(f"event type {name} is declared twice")
            events[name] = model
    return events
