"""Each portal's local-only parts, one module per portal (e.g. local/portals/partners.py):

- ``CONSOLE_ACTIONS``: entries for the CRM console (see local/console_actions.py for the shape);
- ``PORTAL``: {"name", "url", "what"} for the home page (optional);
- ``seed(stack) -> {"logins": [...], "links": [...]}``: demo data, made through the /crm/ routes
  (local.seed.crm_call) the way the CRM would; optional.
- ``parameters(stack) -> {"TemplateParameter": "value"}``: template parameter values for the local
  stack (e.g. a local service's URL); called before anything is created; optional.
- ``start(stack) -> callable | None``: start a local-only service (e.g. a simulator of an outside
  API) after the AWS resources exist and before the routes are served; the callable it returns is
  called on shutdown; optional.

Modules are discovered by name, so portals never edit each other's files.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def portal_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]
