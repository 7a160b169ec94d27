"""The CRM console's actions: each calls one real /crm/ route of the template, as the CRM would.

Each portal lists its own in local/portals/<portal>.py (CONSOLE_ACTIONS). An entry: id, portal,
title, method, path (str.format with the field values), fields (name, label, optional default,
optional textarea), body (values -> JSON body, or None) and an optional ``then`` page to open after
success.
"""

from typing import Any

from local.portals import portal_modules


def console_actions() -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for module in portal_modules():
        actions.extend(getattr(module, "CONSOLE_ACTIONS", []))
    return actions
