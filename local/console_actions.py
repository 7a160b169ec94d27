"""The CRM console's actions: each calls one real /crm/ route of the template, as the CRM would.

Each portal adds its own entries. An entry: id, portal, title, method, path (str.format with the
field values), fields (name, label, optional default), body (values -> JSON body, or None) and an
optional ``then`` page to open after success.
"""

from typing import Any

CONSOLE_ACTIONS: list[dict[str, Any]] = []
