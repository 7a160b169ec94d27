"""The authorization matrix: every route that takes an object id, tried by five callers.

The routes come from template.yaml: each HttpApi route with a path parameter under /partners/,
/leadworks/ or /payments/, and each function URL (the email-link landing pages, whose object is the
signed token in ?token=). /crm/ routes are left out: they have one caller, the CRM, with IAM
credentials (AWS_IAM is not enforced by the local gateway; see the report of the hardening issue).

Signed-in routes, callers:  the owner | another user of the same portal | a user of the other portal |
signed out | a forged sign-in cookie naming the owner (right claims, another key).
Only the owner gets the object; another partner/advertiser gets 404 (as if it did not exist); the
other portal's session, no session and a forged one are passed on by the API's authorizer marked
signed out, and refused before the route runs: 401, or for a browser's page a 303 to sign in.

Signed-link routes (the link is the credential: customers and contacts have no account), callers:
the link's holder | another object's holder, splicing this object into its own genuine link |
a link with a tampered signature | a genuine link of another kind (e.g. a receipt link on the
payment page) | a forged sign-in cookie with a tampered link. Only the genuine link opens it (403
for the others: a sign-in cookie never turns a bad link into a good one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from local.template import Stack
from tests.support import portal_callers as pc
from tests.support.local_stack import LocalStackProcess

SIGNED_IN_CALLERS = ("owner", "same portal, another user", "the other portal's user", "signed out", "forged cookie")
LINK_CALLERS = (
    "link holder",
    "another object's link, spliced",
    "tampered link",
    "link of another kind",
    "forged cookie",
)
SIGNED_OUT = {401, 303}  # 303: a browser asking for a page is sent to the portal's sign-in page
OTHERS_SIGNED_IN = {
    "same portal, another user": {404},
    "the other portal's user": SIGNED_OUT,
    "signed out": SIGNED_OUT,
    "forged cookie": SIGNED_OUT,
}
OTHERS_LINK = {caller: {403} for caller in LINK_CALLERS[1:]}


def object_routes() -> list[tuple[str, str]]:
    """(METHOD, path) of every route of template.yaml that takes an object id (see the docstring)."""
    routes = set()
    for logical_id, resource in Stack.from_file().of_type("AWS::Serverless::Function").items():
        props = resource["Properties"]
        if props.get("FunctionUrlConfig"):
            routes |= {("GET", f"/fn/{logical_id}/?token={{token}}"), ("POST", f"/fn/{logical_id}/?token={{token}}")}
        for event in (props.get("Events") or {}).values():
            path = (event.get("Properties") or {}).get("Path", "")
            if (
                event.get("Type") == "HttpApi"
                and "{" in path
                and path.startswith(("/partners/", "/leadworks/", "/payments/"))
            ):
                routes.add((event["Properties"]["Method"].upper(), path))
    return sorted(routes)


@dataclass
class World:
    """Two users per portal, each with objects of their own, and the signed links of two customers/contacts."""

    callers: dict[str, pc.Caller]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(local_stack: LocalStackProcess) -> World:
    partner, zip_a = pc.new_partner(local_stack, "partner A")
    other_partner, zip_b = pc.new_partner(local_stack, "partner B")
    advertiser = pc.new_advertiser(local_stack, "advertiser A")
    other_advertiser = pc.new_advertiser(local_stack, "advertiser B")
    ids: dict[str, str] = {}
    ids["proposal_id"] = pc.sent_proposal(local_stack, zip_a)
    ids["image_id"] = pc.image_of(local_stack, partner, ids["proposal_id"])
    ids["accept_id"] = pc.sent_proposal(local_stack, zip_a, with_image=False)
    ids["decline_id"] = pc.sent_proposal(local_stack, zip_a, with_image=False)
    ids["other_proposal_id"] = pc.sent_proposal(local_stack, zip_b, with_image=False)
    ids["rph_id"] = pc.new_rph(local_stack, partner)
    ids["lead_id"] = pc.new_lead(local_stack, advertiser)
    ids["upload_id"] = pc.new_upload(local_stack, advertiser)
    ids["notice"] = pc.notice_link(local_stack, partner, ids["proposal_id"])
    ids["other_notice"] = pc.notice_link(local_stack, other_partner, ids["other_proposal_id"])
    ids["pay"], ids["receipt"] = pc.paid_invoice_receipt(local_stack)
    ids["other_pay"], ids["other_receipt"] = pc.paid_invoice_receipt(local_stack)
    ids["open_pay"] = pc.new_invoice(local_stack)[1]
    ids["other_open_pay"] = pc.new_invoice(local_stack)[1]
    _, ids["unsubscribe"], ids["quote"] = pc.contact_links(local_stack)
    _, ids["other_unsubscribe"], ids["other_quote"] = pc.contact_links(local_stack)
    callers = {
        "partner A": partner,
        "partner B": other_partner,
        "advertiser A": advertiser,
        "advertiser B": other_advertiser,
        "signed out": pc.Caller("signed out"),
        "forged partner A": pc.forged_session(local_stack, "partners", partner.subject_id or "", partner.email or ""),
        "forged advertiser A": pc.forged_session(
            local_stack, "leadworks", advertiser.subject_id or "", advertiser.email or ""
        ),
    }
    return World(callers, ids)


def token_of(path: str) -> str:
    found = re.search(r"(?:/|token=)([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$", path)
    assert found, path
    return found.group(1)


def with_token(path: str, token: str) -> str:
    return path[: -len(token_of(path))] + token


def spliced(path: str, other_path: str) -> str:
    """This object's link as another object's holder would forge it: this payload, its own signature."""
    payload = token_of(path).split(".")[0]
    signature = token_of(other_path).split(".")[1]
    return with_token(path, f"{payload}.{signature}")


@dataclass
class Recipe:
    """How the owner calls a route, and what it answers."""

    path: Callable[[dict[str, str]], str]
    owner: set[int]
    owner_check: Callable[[Any, dict[str, str]], bool] = lambda answer, ids: True
    body: dict[str, Any] | None = None
    content: bytes | None = None
    content_type: str | None = None
    accept: str = "application/json"
    link: tuple[str, str, str] | None = None  # (this link, another object's link, a link of another kind)


QUOTE_FIELDS = {"name": "Pat Quote", "email": "pat.quote@example.com", "needs": "New gutters.", "contact_by": "email"}
ONE_CLICK = b"List-Unsubscribe=One-Click"


def shows(key: str) -> Callable[[Any, dict[str, str]], bool]:
    return lambda answer, ids: ids[key] in answer.text


RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/partners/proposals/{proposal_id}"): Recipe(
        lambda i: f"/partners/proposals/{i['proposal_id']}", {200}, shows("proposal_id")
    ),
    ("GET", "/partners/proposals/{proposal_id}/images"): Recipe(
        lambda i: f"/partners/proposals/{i['proposal_id']}/images", {200}, shows("image_id")
    ),
    ("GET", "/partners/proposals/{proposal_id}/images/{image_id}"): Recipe(
        lambda i: f"/partners/proposals/{i['proposal_id']}/images/{i['image_id']}", {200}, shows("image_id")
    ),
    ("POST", "/partners/proposals/{proposal_id}/accept"): Recipe(
        lambda i: f"/partners/proposals/{i['accept_id']}/accept",
        {200},
        lambda answer, ids: answer.json()["status"] == "accepted",
        body={},
    ),
    ("GET", "/partners/proposals/{proposal_id}/decline"): Recipe(
        lambda i: f"/partners/proposals/{i['decline_id']}/decline", {200}, shows("decline_id"), accept="text/html"
    ),
    ("POST", "/partners/proposals/{proposal_id}/decline"): Recipe(
        lambda i: f"/partners/proposals/{i['decline_id']}/decline",
        {200},
        lambda answer, ids: answer.json()["status"] == "declined",
        body={"reason": "Too far from our depot."},
    ),
    ("GET", "/partners/rph/{rph_id}"): Recipe(lambda i: f"/partners/rph/{i['rph_id']}", {200}, shows("rph_id")),
    ("GET", "/partners/notice/{token}"): Recipe(
        lambda i: i["notice"],
        {303},
        lambda answer, ids: answer.headers["location"] == f"/partners/proposals/{ids['proposal_id']}",
        accept="text/html",
        link=("notice", "other_notice", "pay"),
    ),
    ("GET", "/leadworks/leads/{lead_id}"): Recipe(
        lambda i: f"/leadworks/leads/{i['lead_id']}", {200}, shows("lead_id")
    ),
    ("GET", "/leadworks/leads/upload/{upload_id}/report.csv"): Recipe(
        lambda i: f"/leadworks/leads/upload/{i['upload_id']}/report.csv",
        {200},
        lambda answer, ids: answer.headers["content-type"].startswith("text/csv") and ",created," in answer.text,
    ),
    ("GET", "/payments/pay/{token}"): Recipe(
        lambda i: i["open_pay"],
        {200},
        lambda answer, ids: answer.json()["invoice"]["number"].startswith("INV-HRD-"),
        link=("open_pay", "other_open_pay", "receipt"),
    ),
    # the link is accepted (the empty form is not): 422 for its holder, 403 for a bad link
    ("POST", "/payments/pay/{token}"): Recipe(
        lambda i: i["open_pay"], {422}, body={}, link=("open_pay", "other_open_pay", "receipt")
    ),
    ("GET", "/payments/receipts/{token}"): Recipe(
        lambda i: i["receipt"],
        {200},
        lambda answer, ids: answer.json()["url"].startswith("http"),
        link=("receipt", "other_receipt", "pay"),
    ),
    ("GET", "/fn/UnsubscribeFunction/?token={token}"): Recipe(
        lambda i: i["unsubscribe"], {200}, accept="text/html", link=("unsubscribe", "other_unsubscribe", "quote")
    ),
    ("POST", "/fn/UnsubscribeFunction/?token={token}"): Recipe(
        lambda i: i["unsubscribe"],
        {200},
        lambda answer, ids: "You are unsubscribed" in answer.text,
        content=ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
        accept="text/html",
        link=("unsubscribe", "other_unsubscribe", "quote"),
    ),
    ("GET", "/fn/QuoteFunction/?token={token}"): Recipe(
        lambda i: i["quote"], {200}, accept="text/html", link=("quote", "other_quote", "unsubscribe")
    ),
    ("POST", "/fn/QuoteFunction/?token={token}"): Recipe(
        lambda i: i["quote"],
        {200},
        lambda answer, ids: "already_received" in answer.json(),
        body=QUOTE_FIELDS,
        link=("quote", "other_quote", "unsubscribe"),
    ),
}


def test_every_route_with_an_object_id_in_the_template_has_a_row_in_the_matrix() -> None:
    assert sorted(RECIPES) == object_routes()


def portal_of(path: str) -> str | None:
    return next((p for p in ("partners", "leadworks") if path.startswith(f"/{p}/")), None)


def callers_for(route: tuple[str, str], recipe: Recipe, world: World) -> list[tuple[str, pc.Caller, str]]:
    """(cell name, caller, path) for the five callers of a route, the owner last (it may change the object)."""
    ids = world.ids
    owner_path = recipe.path(ids)
    if recipe.link is None:
        portal = portal_of(route[1])
        a, b, other_portal, forged = {
            "partners": ("partner A", "partner B", "advertiser A", "forged partner A"),
            "leadworks": ("advertiser A", "advertiser B", "partner A", "forged advertiser A"),
        }[portal or ""]
        c = world.callers
        return [
            ("same portal, another user", c[b], owner_path),
            ("the other portal's user", c[other_portal], owner_path),
            ("signed out", c["signed out"], owner_path),
            ("forged cookie", c[forged], owner_path),
            ("owner", c[a], owner_path),
        ]
    this, other, other_kind = recipe.link
    holder = world.callers["partner A"] if route[1].startswith("/partners/") else world.callers["signed out"]
    signed_out = world.callers["signed out"]
    return [
        (
            "another object's link, spliced",
            world.callers["partner B"] if holder is not signed_out else signed_out,
            spliced(ids[this], ids[other]),
        ),
        ("tampered link", signed_out, pc.tampered(ids[this])),
        ("link of another kind", holder, with_token(ids[this], token_of(ids[other_kind]))),
        ("forged cookie", world.callers["forged partner A"], pc.tampered(ids[this])),
        ("link holder", holder, owner_path),
    ]


def call(stack: LocalStackProcess, caller: pc.Caller, method: str, path: str, recipe: Recipe) -> Any:
    headers = caller.headers(recipe.accept)
    kwargs: dict[str, Any] = {}
    if recipe.body is not None:
        kwargs["json"] = recipe.body
    elif recipe.content is not None:
        kwargs["content"] = recipe.content
    if recipe.content_type:
        headers["Content-Type"] = recipe.content_type
    with stack.client() as http:
        return http.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize("route", sorted(RECIPES), ids=lambda r: f"{r[0]} {r[1]}")
def test_only_the_owner_gets_the_object(local_stack: LocalStackProcess, world: World, route: tuple[str, str]) -> None:
    # Given the route's object, owned by one caller
    recipe = RECIPES[route]
    expected_others = OTHERS_LINK if recipe.link else OTHERS_SIGNED_IN
    owner_cell = "link holder" if recipe.link else "owner"
    wrong: list[str] = []
    for cell, caller, path in callers_for(route, recipe, world):
        # When each caller asks for it
        answer = call(local_stack, caller, route[0], path, recipe)
        # Then only the owner gets it; the others get 404 (another user) or are refused (401/403)
        expected = recipe.owner if cell == owner_cell else expected_others[cell]
        if answer.status_code not in expected:
            wrong.append(f"{cell}: {answer.status_code} (expected {sorted(expected)}): {answer.text[:200]}")
        elif (
            cell != owner_cell
            and answer.status_code == 303
            and not answer.headers["location"].startswith(f"{route[1][: route[1].index('/', 1)]}/sign-in?next=")
        ):
            wrong.append(f"{cell}: sent to {answer.headers['location']}, not to its portal's sign-in page")
        elif cell == owner_cell and not recipe.owner_check(answer, world.ids):
            wrong.append(f"{cell}: the answer is not the object: {answer.text[:300]}")
        elif cell != owner_cell:
            leaked = [k for k in ("proposal_id", "rph_id", "lead_id", "image_id") if world.ids[k] in answer.text]
            if leaked:
                wrong.append(f"{cell}: the refusal shows {leaked}")
    assert not wrong, "\n".join(wrong)


def test_a_notice_link_opened_by_another_partner_leads_to_nothing(local_stack: LocalStackProcess, world: World) -> None:
    # Given partner A's notice link, in the hands of partner B (a forwarded email)
    link = world.ids["notice"]
    for name, status in (("partner B", 404), ("forged partner A", 303)):
        caller = world.callers[name]
        with caller.client(local_stack, accept="text/html") as http:
            # When B opens it and follows where it leads
            first = http.get(link)
            assert first.status_code == 303
            landed = http.get(first.headers["location"])
        # Then the proposal is not shown (B: not found; the forged cookie: sent to sign in)
        assert landed.status_code == status, (name, landed.text[:300])
        assert status != 303 or landed.headers["location"].startswith("/partners/sign-in?next=")
        assert "Driveway repaving" not in landed.text
