"""Sign-in on the local stack: a demo partner and a demo advertiser, until the Partners and Leadworks
registration routes (/crm/) seed their own users.

TEMPORARY: delete this file once local/portals/partners.py and local/portals/leadworks.py seed
portal users. It never competes with them: a pool that already has users (seeded by the portal's
own seeder, which runs first: seeders run in name order) gets no demo user from here.
"""

from __future__ import annotations

import logging
from typing import Any

LOG = logging.getLogger("local.portals.signin")

DEMO_PASSWORD = "Portal-Demo-2026"  # noqa: S105 - a local demo login, printed on start
DEMO_USERS = [
    {
        "portal": "partners",
        "pool_output": "PartnersUserPoolId",
        "email": "demo.partner@example.com",
        "attributes": {"custom:partner_id": "P-DEMO"},
    },
    {
        "portal": "leadworks",
        "pool_output": "AdvertisersUserPoolId",
        "email": "demo.advertiser@example.com",
        "attributes": {"custom:advertiser_id": "A-DEMO"},
    },
]


def seed(stack: Any) -> dict[str, Any]:
    idp = stack.client("cognito-idp")
    outputs = stack.stack_info()["outputs"]
    logins, links = [], []
    for user in DEMO_USERS:
        pool_id = outputs[user["pool_output"]]
        links.append(
            {"title": f"{user['portal'].title()} sign-in", "url": f"{stack.gateway_url}/{user['portal']}/sign-in"}
        )
        if idp.list_users(UserPoolId=pool_id, Limit=1)["Users"]:
            LOG.info("%s pool already has users: no demo user", user["portal"])
            continue
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=user["email"],
            MessageAction="SUPPRESS",
            TemporaryPassword=DEMO_PASSWORD,
            UserAttributes=[
                {"Name": "email", "Value": user["email"]},
                {"Name": "email_verified", "Value": "true"},
                *({"Name": k, "Value": v} for k, v in user["attributes"].items()),
            ],
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user["email"], Password=DEMO_PASSWORD, Permanent=True)
        logins.append(
            {
                "portal": user["portal"],
                "email": user["email"],
                "password": DEMO_PASSWORD,
                "note": "(demo user from local/portals/signin.py)",
            }
        )
    return {"logins": logins, "links": links}
