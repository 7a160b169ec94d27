"""The Partners portal over real HTTP on the local stack: ZIP races decided by DynamoDB, proposals
hidden from their partner until sent and from every other partner always (pages and JSON)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

import httpx

from tests.support.local_stack import LocalStackProcess
from tests.support.partners import partner_body, proposal_body, unique, unique_zip
from tests.support.signin_users import browser_like_client, csrf_token

PASSWORD = "Partner-E2E-2026"


def registered_partner(stack: LocalStackProcess, zip_code: str) -> dict[str, Any]:
    """A partner registered by the CRM route, whose user has replaced its temporary password."""
    with stack.client() as http:
        answer = http.post("/crm/partners", json=partner_body(zip_code), headers={"Accept": "application/json"})
    assert answer.status_code == 201, answer.text
    partner = answer.json()
    stack.aws("cognito-idp").admin_set_user_password(
        UserPoolId=stack.info["outputs"]["PartnersUserPoolId"],
        Username=partner["email"],
        Password=PASSWORD,
        Permanent=True,
    )
    return dict(partner)


def signed_in(stack: LocalStackProcess, email: str) -> httpx.Client:
    http = browser_like_client(stack.url)
    page = http.get("/partners/sign-in")
    answer = http.post(
        "/partners/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 303, answer.text
    return http


def test_two_registrations_on_one_zip_at_once_exactly_one_succeeds(local_stack: LocalStackProcess) -> None:
    # Given three partners the CRM registers on the same free ZIP code at the same moment
    zip_code = unique_zip()
    bodies = [partner_body(zip_code) for _ in range(3)]
    start = threading.Barrier(len(bodies))

    def register(body: dict[str, Any]) -> httpx.Response:
        with local_stack.client() as http:
            start.wait()
            return http.post("/crm/partners", json=body, headers={"Accept": "application/json"})

    # When they all arrive together
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(register, bodies))
    # Then exactly one is registered; the others are refused with a clear message
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    for refused in (a for a in answers if a.status_code == 409):
        assert f"ZIP code {zip_code} already belongs to another partner" in refused.json()["error"]["message"]
    # And the ZIP is the winner's, and no refused partner keeps a portal user
    claim = local_stack.aws("dynamodb").get_item(
        TableName=local_stack.info["refs"]["PartnersTable"], Key={"pk": {"S": f"ZIP#{zip_code}"}, "sk": {"S": "CLAIM"}}
    )["Item"]
    assert claim["partner_id"]["S"] == winner["partner_id"]
    idp = local_stack.aws("cognito-idp")
    pool_id = local_stack.info["outputs"]["PartnersUserPoolId"]
    for body in bodies:
        exists = bool(idp.list_users(UserPoolId=pool_id, Filter=f'email = "{body["email"]}"')["Users"])
        assert exists == (body["email"] == winner["email"]), body["email"]


def test_a_proposal_is_invisible_to_its_partner_until_sent_and_to_every_other_partner_always(
    local_stack: LocalStackProcess,
) -> None:
    # Given two partners, signed in, and a proposal created on the first one's ZIP code
    zip_a = unique_zip()
    a = registered_partner(local_stack, zip_a)
    b = registered_partner(local_stack, unique_zip())
    body = proposal_body(zip_a, proposal_id=unique("EP-"), opportunity_name=f"Visibility {unique()}")
    with local_stack.client() as crm:
        created = crm.post("/crm/proposals", json=body, headers={"Accept": "application/json"})
        assert created.status_code == 201 and created.json()["partner_id"] == a["partner_id"]
        pid = created.json()["proposal_id"]
        with (
            closing(signed_in(local_stack, a["email"])) as http_a,
            closing(signed_in(local_stack, b["email"])) as http_b,
        ):

            def sees(http: httpx.Client) -> dict[str, int | bool]:
                as_json = {"Accept": "application/json"}
                listed = http.get("/partners/proposals", headers=as_json)
                page = http.get("/partners/proposals", headers={"Accept": "text/html"})
                assert listed.status_code == 200 and page.status_code == 200
                return {
                    "listed": any(row["proposal_id"] == pid for row in listed.json()["items"]),
                    "in_page": pid in page.text,
                    "detail_json": http.get(f"/partners/proposals/{pid}", headers=as_json).status_code,
                    "detail_page": http.get(f"/partners/proposals/{pid}", headers={"Accept": "text/html"}).status_code,
                    "images": http.get(f"/partners/proposals/{pid}/images", headers=as_json).status_code,
                    "decline_form": http.get(f"/partners/proposals/{pid}/decline").status_code,
                }

            hidden = {
                "listed": False,
                "in_page": False,
                "detail_json": 404,
                "detail_page": 404,
                "images": 404,
                "decline_form": 404,
            }
            # Then before it is sent, neither partner can see it in any way
            assert sees(http_a) == hidden
            assert sees(http_b) == hidden
            # When the account manager sends it
            sent = crm.post(f"/crm/proposals/{pid}/send", json={"reviewed_by": "alex.manager@example.com"})
            assert sent.status_code == 200 and sent.json()["email_sent_now"] is True
            # Then its partner sees it everywhere ...
            assert sees(http_a) == {
                "listed": True,
                "in_page": True,
                "detail_json": 200,
                "detail_page": 200,
                "images": 200,
                "decline_form": 200,
            }
            # ... and the other partner still nowhere, nor can it answer it
            assert sees(http_b) == hidden
            page = http_b.get("/partners/proposals/" + pid + "/decline")
            forged = http_b.post(f"/partners/proposals/{pid}/accept", json={})
            assert page.status_code == 404 and forged.status_code == 404
    # And the partner got the notice email, whose link leads to the proposal
    mail = next(m for m in local_stack.mailbox() if a["email"] in m["destinations"])
    assert pid in mail["subject"] and "/partners/notice/" in (mail["text"] or "")
