"""Info site, locally: no home page of its own (its pages are reached from email links), so the
home page points to the mailbox; CRM console actions to add a contact and queue a nurture email;
demo contacts (a prospect, a customer with an owner) with one nurture email each."""

from __future__ import annotations

from typing import Any

from local.seed import crm_call

PORTAL = {
    "name": "Info site",
    "url": "/_local/mailbox",
    "what": "nurture emails (Nurture P2): open one in the mailbox to use its quote or unsubscribe link",
}


def _blank_to_none(value: str) -> str | None:
    return value.strip() or None


CONSOLE_ACTIONS: list[dict[str, Any]] = [
    {
        "id": "infosite-upsert-contact",
        "portal": "Info site",
        "title": "Add or update a nurtured contact",
        "method": "PUT",
        "path": "/crm/contacts/{contact_id}",
        "fields": [
            {"name": "contact_id", "label": "Contact id", "default": "console-contact-1"},
            {"name": "name", "label": "Name", "default": "Casey Console"},
            {"name": "email", "label": "Email", "default": "casey.console@example.com"},
            {"name": "phone", "label": "Phone (optional)", "default": "+1 555 0142"},
            {"name": "company", "label": "Company (optional)", "default": ""},
            {
                "name": "kind",
                "label": "Kind: prospect (quote -> lead) or customer (quote -> opportunity)",
                "default": "prospect",
            },
            {"name": "owner", "label": "Owner's email (optional; quote alerts go there)", "default": ""},
        ],
        "body": lambda v: {
            "name": v["name"],
            "email": v["email"],
            "phone": _blank_to_none(v["phone"]),
            "company": _blank_to_none(v["company"]),
            "kind": v["kind"].strip(),
            "owner": _blank_to_none(v["owner"]),
        },
    },
    {
        "id": "infosite-queue-nurture-email",
        "portal": "Info site",
        "title": "Queue a Nurture P2 email (then open the mailbox)",
        "method": "POST",
        "path": "/crm/nurture-emails",
        "fields": [
            {"name": "contact_id", "label": "Contact id", "default": "console-contact-1"},
            {"name": "step", "label": "Campaign step", "default": "1"},
        ],
        "body": lambda v: {
            "contact_id": v["contact_id"].strip(),
            "campaign": "Nurture P2",
            "step": int(v["step"] or 1),
        },
    },
]

DEMO_CONTACTS = [
    {
        "id": "demo-prospect",
        "name": "Pat Prospect",
        "email": "pat.prospect@example.com",
        "phone": "+1 555 0100",
        "company": "Prospect Homes",
        "kind": "prospect",
        "owner": None,
    },
    {
        "id": "demo-customer",
        "name": "Chris Customer",
        "email": "chris.customer@example.com",
        "phone": "+1 555 0111",
        "company": "Customer Estates",
        "kind": "customer",
        "owner": "account.manager@example.com",
    },
]


def seed(stack: Any) -> dict[str, Any]:
    for demo in DEMO_CONTACTS:
        contact = {k: v for k, v in demo.items() if k != "id"}
        crm_call(stack, "PUT", f"/crm/contacts/{demo['id']}", contact)
        crm_call(stack, "POST", "/crm/nurture-emails", {"contact_id": demo["id"], "campaign": "Nurture P2", "step": 1})
    return {
        "logins": [],
        "links": [
            {
                "title": "Info site: the demo nurture emails to a prospect and a customer (quote and unsubscribe links)",
                "url": f"{stack.gateway_url}/_local/mailbox",
            }
        ],
    }
