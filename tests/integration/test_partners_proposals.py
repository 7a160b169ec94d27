"""Partners portal against moto: partners and ZIP codes, proposals from creation to the partner's
answer, ownership on every read, images and their thumbnails, RPHs with photos."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests

from local.template import Stack
from portal_common.settings import load_settings
from tests.support.lambda_env import LambdaHarness
from tests.support.partners import (
    http_event,
    jpeg_bytes,
    partner_body,
    partner_identity,
    proposal_body,
    unique,
    unique_zip,
)


def call(lambdas: LambdaHarness, logical_id: str, event: dict[str, Any]) -> tuple[int, Any]:
    answer = lambdas.invoke(logical_id, event)
    body = answer.get("body") or ""
    try:
        return answer["statusCode"], json.loads(body) if body else None
    except ValueError:
        return answer["statusCode"], body


def register(lambdas: LambdaHarness, zip_code: str, **overrides: Any) -> dict[str, Any]:
    status, partner = call(
        lambdas,
        "PartnersRegisterFunction",
        http_event("POST", "/crm/partners", body=partner_body(zip_code, **overrides), iam=True),
    )
    assert status == 201, partner
    return partner


def create_proposal(lambdas: LambdaHarness, zip_code: str, **overrides: Any) -> dict[str, Any]:
    body = proposal_body(zip_code, proposal_id=unique("EP-"), **overrides)
    status, proposal = call(
        lambdas, "PartnersCreateProposalFunction", http_event("POST", "/crm/proposals", body=body, iam=True)
    )
    assert status == 201, proposal
    return proposal


def send(lambdas: LambdaHarness, proposal_id: str) -> tuple[int, Any]:
    return call(
        lambdas,
        "PartnersSendProposalFunction",
        http_event(
            "POST",
            f"/crm/proposals/{proposal_id}/send",
            route="/crm/proposals/{proposal_id}/send",
            body={"reviewed_by": "alex.manager@example.com"},
            iam=True,
            path_parameters={"proposal_id": proposal_id},
        ),
    )


def partner_get(lambdas: LambdaHarness, logical_id: str, path: str, partner_id: str, **kwargs: Any) -> tuple[int, Any]:
    return call(lambdas, logical_id, http_event("GET", path, identity=partner_identity(partner_id), **kwargs))


def outbox_events(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    return [json.loads(i["event"]["S"]) for i in items]


def emails_to(address: str) -> list[str]:
    """The raw emails SES (moto) sent to an address."""
    from moto.backends import get_backend

    backend = get_backend("ses")["123456789012"]["us-east-1"]
    found = []
    for message in backend.sent_messages:
        destinations = message.destinations
        to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations
        if address in to:
            found.append(str(getattr(message, "raw_data", "")))
    return found


def test_a_proposal_goes_to_the_partner_of_its_zip_and_stays_hidden_until_sent(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    # Given a partner on a ZIP code and a proposal created for a property there
    zip_code = unique_zip()
    partner = register(lambdas, zip_code)
    proposal = create_proposal(lambdas, zip_code)
    # Then it is assigned to that partner at once ...
    assert proposal["partner_id"] == partner["partner_id"] and proposal["status"] == "new"
    # ... but the partner sees nothing of it: not in the list, not by its id
    status, page = partner_get(lambdas, "PartnersListProposalsFunction", "/partners/proposals", partner["partner_id"])
    assert status == 200 and page["items"] == []
    status, _ = partner_get(
        lambdas,
        "PartnersViewProposalFunction",
        f"/partners/proposals/{proposal['proposal_id']}",
        partner["partner_id"],
        path_parameters={"proposal_id": proposal["proposal_id"]},
    )
    assert status == 404
    # When the account manager reviews and sends it
    status, answer = send(lambdas, proposal["proposal_id"])
    assert status == 200 and answer["email_sent_now"] is True
    # Then the partner has it, and got one email linking to it
    status, page = partner_get(lambdas, "PartnersListProposalsFunction", "/partners/proposals", partner["partner_id"])
    assert [row["proposal_id"] for row in page["items"]] == [proposal["proposal_id"]]
    status, detail = partner_get(
        lambdas,
        "PartnersViewProposalFunction",
        f"/partners/proposals/{proposal['proposal_id']}",
        partner["partner_id"],
        path_parameters={"proposal_id": proposal["proposal_id"]},
    )
    assert status == 200 and detail["customer"]["name"] == "John Smith" and detail["total"] == "3962.50"
    mails = emails_to(partner["email"])
    assert len(mails) == 1 and "/partners/notice/" in mails[0]
    # When it is sent again
    status, again = send(lambdas, proposal["proposal_id"])
    # Then nothing is duplicated: no second email
    assert status == 200 and again["email_sent_now"] is False
    assert len(emails_to(partner["email"])) == 1
    types = [e["type"] for e in outbox_events(stack)]
    assert types.count("external_proposal.sent") == 1


def test_another_partners_proposal_is_a_404_everywhere(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a sent proposal of partner A (with an image) and partner B
    zip_a = unique_zip()
    a = register(lambdas, zip_a)
    b = register(lambdas, unique_zip())
    proposal = create_proposal(lambdas, zip_a)
    send(lambdas, proposal["proposal_id"])
    pid = proposal["proposal_id"]
    # When B asks for it in every way
    status, page = partner_get(lambdas, "PartnersListProposalsFunction", "/partners/proposals", b["partner_id"])
    assert page["items"] == []
    for logical_id, path, route, params in [
        ("PartnersViewProposalFunction", f"/partners/proposals/{pid}", None, {"proposal_id": pid}),
        ("PartnersProposalImagesFunction", f"/partners/proposals/{pid}/images", None, {"proposal_id": pid}),
        (
            "PartnersProposalImagesFunction",
            f"/partners/proposals/{pid}/images/0123456789abcdef",
            "/partners/proposals/{proposal_id}/images/{image_id}",
            {"proposal_id": pid, "image_id": "0123456789abcdef"},
        ),
    ]:
        for accept in ("application/json", "text/html"):
            status, body = partner_get(
                lambdas, logical_id, path, b["partner_id"], accept=accept, route=route, path_parameters=params
            )
            # Then it does not exist for B (and says nothing of A)
            assert status == 404, (path, accept)
            assert a["partner_id"] not in json.dumps(body)
    # And A still sees it
    status, _ = partner_get(
        lambdas,
        "PartnersViewProposalFunction",
        f"/partners/proposals/{pid}",
        a["partner_id"],
        path_parameters={"proposal_id": pid},
    )
    assert status == 200


def test_a_zip_without_partner_makes_an_unassigned_proposal_in_the_uncovered_report(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    # Given no partner on a ZIP code
    zip_code = unique_zip()
    # When a proposal is created there
    proposal = create_proposal(lambdas, zip_code)
    # Then it is unassigned, cannot be sent, and the uncovered-ZIP report lists it
    assert proposal["partner_id"] is None
    status, _ = send(lambdas, proposal["proposal_id"])
    assert status == 409
    status, report = call(
        lambdas, "PartnersUncoveredZipsFunction", http_event("GET", "/crm/reports/uncovered-zips", iam=True)
    )
    assert status == 200
    assert {"zip": zip_code, "proposals": [proposal["proposal_id"]]}.items() <= next(
        z for z in report["zips"] if z["zip"] == zip_code
    ).items()
    # When a partner takes the ZIP and the CRM routes the proposal again
    partner = register(lambdas, zip_code)
    status, routed = call(
        lambdas,
        "PartnersRouteProposalFunction",
        http_event(
            "POST",
            f"/crm/proposals/{proposal['proposal_id']}/route",
            iam=True,
            path_parameters={"proposal_id": proposal["proposal_id"]},
        ),
    )
    # Then it is the partner's, and leaves the report
    assert status == 200 and routed["partner_id"] == partner["partner_id"]
    status, report = call(
        lambdas, "PartnersUncoveredZipsFunction", http_event("GET", "/crm/reports/uncovered-zips", iam=True)
    )
    assert all(z["zip"] != zip_code for z in report["zips"])


def test_a_taken_zip_is_refused_on_registration_and_on_a_zip_change(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given two partners on two ZIP codes
    zip_a, zip_b = unique_zip(), unique_zip()
    a = register(lambdas, zip_a)
    b = register(lambdas, zip_b)
    # When a third registers on A's ZIP
    third = partner_body(zip_a)
    status, refused = call(
        lambdas, "PartnersRegisterFunction", http_event("POST", "/crm/partners", body=third, iam=True)
    )
    # Then it is refused with a clear message, and no portal user is left behind
    assert status == 409 and zip_a in refused["error"]["message"]
    users = boto3.client("cognito-idp").list_users(UserPoolId=stack.refs["PartnersUserPool"])["Users"]
    emails = {a_["Value"] for u in users for a_ in u["Attributes"] if a_["Name"] == "email"}
    assert third["email"] not in emails and a["email"] in emails
    # When B moves onto A's ZIP
    status, refused = call(
        lambdas,
        "PartnersUpdateFunction",
        http_event(
            "PATCH",
            f"/crm/partners/{b['partner_id']}",
            body={"zip": zip_a},
            iam=True,
            path_parameters={"partner_id": b["partner_id"]},
        ),
    )
    assert status == 409
    # When B moves to a free ZIP, its old one is free again
    zip_c = unique_zip()
    status, moved = call(
        lambdas,
        "PartnersUpdateFunction",
        http_event(
            "PATCH",
            f"/crm/partners/{b['partner_id']}",
            body={"zip": zip_c},
            iam=True,
            path_parameters={"partner_id": b["partner_id"]},
        ),
    )
    assert status == 200 and moved["zip"] == zip_c
    register(lambdas, zip_b)
    # When A is deactivated, its user is disabled and its ZIP released
    status, inactive = call(
        lambdas,
        "PartnersDeactivateFunction",
        http_event(
            "POST",
            f"/crm/partners/{a['partner_id']}/deactivate",
            iam=True,
            path_parameters={"partner_id": a["partner_id"]},
        ),
    )
    assert status == 200 and inactive["status"] == "inactive"
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=stack.refs["PartnersUserPool"], Username=a["email"])
    assert user["Enabled"] is False
    assert create_proposal(lambdas, zip_a)["partner_id"] is None


def test_the_list_filters_by_owner_range_and_opportunity_and_pages_by_cursor(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    # Given a partner with 25 sent proposals from two account owners
    zip_code = unique_zip()
    partner = register(lambdas, zip_code)
    ids = []
    for n in range(25):
        owner = "Dana Owner" if n % 2 else "Sam Keeper"
        proposal = create_proposal(
            lambdas, zip_code, account_owner=owner, opportunity_name=f"{'Roof' if n < 5 else 'Paving'} job {n}"
        )
        send(lambdas, proposal["proposal_id"])
        ids.append(proposal["proposal_id"])
    pid = partner["partner_id"]

    def page(**query: str) -> dict[str, Any]:
        status, body = partner_get(lambdas, "PartnersListProposalsFunction", "/partners/proposals", pid, query=query)
        assert status == 200, body
        return body

    # Then the first page holds the 20 newest, the cursor the 5 others, newest first
    first = page()
    assert [r["proposal_id"] for r in first["items"]] == ids[::-1][:20]
    second = page(cursor=first["next_cursor"])
    assert [r["proposal_id"] for r in second["items"]] == ids[::-1][20:] and second["next_cursor"] is None
    # And each filter narrows it
    assert {r["account_owner"] for r in page(owner="Sam Keeper")["items"]} == {"Sam Keeper"}
    assert len(page(owner="Sam Keeper")["items"]) == 13
    assert len(page(range="today")["items"]) == 20
    roofs = page(opportunity="roof")["items"]
    assert sorted(r["proposal_id"] for r in roofs) == sorted(ids[:5])
    assert len(page(owner="Dana Owner", opportunity="ROOF JOB")["items"]) == 2
    # And a tampered cursor is refused, not obeyed
    status, _body = partner_get(
        lambdas, "PartnersListProposalsFunction", "/partners/proposals", pid, query={"cursor": "bm90LWEtY3Vyc29y"}
    )
    assert status == 400


def test_accept_and_decline_are_events_to_the_crm(stack: Stack, lambdas: LambdaHarness) -> None:
    zip_code = unique_zip()
    partner = register(lambdas, zip_code)
    first, second = create_proposal(lambdas, zip_code), create_proposal(lambdas, zip_code)
    for p in (first, second):
        send(lambdas, p["proposal_id"])
    identity = partner_identity(partner["partner_id"])
    # When the partner accepts one and declines the other with a reason (JSON clients)
    status, _ = call(
        lambdas,
        "PartnersRespondToProposalFunction",
        http_event(
            "POST",
            f"/partners/proposals/{first['proposal_id']}/accept",
            body={},
            identity=identity,
            path_parameters={"proposal_id": first["proposal_id"]},
        ),
    )
    assert status == 200
    status, _ = call(
        lambdas,
        "PartnersRespondToProposalFunction",
        http_event(
            "POST",
            f"/partners/proposals/{second['proposal_id']}/decline",
            body={"reason": "Fully booked in May"},
            identity=identity,
            path_parameters={"proposal_id": second["proposal_id"]},
        ),
    )
    assert status == 200
    # Then the CRM gets both, and a second answer is refused
    events = {e["type"]: e for e in outbox_events(stack)}
    assert events["external_proposal.accepted"]["data"]["proposal_id"] == first["proposal_id"]
    assert events["external_proposal.declined"]["data"]["reason"] == "Fully booked in May"
    assert events["external_proposal.declined"]["actor"]["label"] == "external user"
    status, _ = call(
        lambdas,
        "PartnersRespondToProposalFunction",
        http_event(
            "POST",
            f"/partners/proposals/{first['proposal_id']}/accept",
            body={},
            identity=identity,
            path_parameters={"proposal_id": first["proposal_id"]},
        ),
    )
    assert status == 409


def test_a_form_post_without_csrf_token_is_refused_and_changes_nothing(stack: Stack, lambdas: LambdaHarness) -> None:
    zip_code = unique_zip()
    partner = register(lambdas, zip_code)
    proposal = create_proposal(lambdas, zip_code)
    send(lambdas, proposal["proposal_id"])
    status, _ = call(
        lambdas,
        "PartnersRespondToProposalFunction",
        http_event(
            "POST",
            f"/partners/proposals/{proposal['proposal_id']}/accept",
            form={},
            accept="text/html",
            identity=partner_identity(partner["partner_id"]),
            path_parameters={"proposal_id": proposal["proposal_id"]},
        ),
    )
    assert status == 403
    status, detail = partner_get(
        lambdas,
        "PartnersViewProposalFunction",
        f"/partners/proposals/{proposal['proposal_id']}",
        partner["partner_id"],
        path_parameters={"proposal_id": proposal["proposal_id"]},
    )
    assert detail["status"] == "sent"


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "eventTime": "2026-11-22T10:00:00.000Z",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
            }
        ]
    }


def test_an_uploaded_image_gets_a_thumbnail_and_a_fake_one_is_deleted(stack: Stack, lambdas: LambdaHarness) -> None:
    zip_code = unique_zip()
    partner = register(lambdas, zip_code)
    proposal = create_proposal(lambdas, zip_code)
    send(lambdas, proposal["proposal_id"])
    pid = proposal["proposal_id"]
    bucket = stack.refs["ImagesBucket"]
    s3 = boto3.client("s3")
    # Given two presigned POSTs: the CRM uploads a real JPEG and an HTML file declared as a JPEG
    keys = []
    for _ in range(2):
        status, upload = call(
            lambdas,
            "PartnersProposalImageUploadFunction",
            http_event(
                "POST",
                f"/crm/proposals/{pid}/images",
                body={"content_type": "image/jpeg"},
                iam=True,
                path_parameters={"proposal_id": pid},
            ),
        )
        assert status == 201
        conditions = json.loads(__import__("base64").b64decode(upload["fields"]["policy"]))["conditions"]
        assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions and {
            "Content-Type": "image/jpeg"
        } in conditions
        keys.append(upload["fields"]["key"])
    s3.put_object(Bucket=bucket, Key=keys[0], Body=jpeg_bytes(800, 600))
    s3.put_object(Bucket=bucket, Key=keys[1], Body=b"<html><script>alert(1)</script></html>")
    # When the S3 notifications reach the thumbnail function
    thumbnails = lambdas.handler("PartnersMakeThumbnailFunction")
    results = [thumbnails(s3_event(bucket, key))["processed"][0]["result"] for key in keys]
    # Then the image is recorded with its thumbnail, the fake is gone
    assert results == ["recorded", "rejected"]
    thumb = s3.get_object(Bucket=bucket, Key="thumbs/" + keys[0].removeprefix("uploads/") + ".jpg")["Body"].read()
    from PIL import Image

    assert max(Image.open(__import__("io").BytesIO(thumb)).size) <= 320
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key=keys[1])
    # And a repeated notification records nothing twice
    assert thumbnails(s3_event(bucket, keys[0]))["processed"][0]["result"] == "duplicate"
    status, gallery = partner_get(
        lambdas,
        "PartnersProposalImagesFunction",
        f"/partners/proposals/{pid}/images",
        partner["partner_id"],
        path_parameters={"proposal_id": pid},
    )
    assert status == 200 and len(gallery["images"]) == 1
    assert gallery["images"][0]["width"] == 800 and "X-Amz-Expires=300" in gallery["images"][0]["url"]


def test_a_view_url_is_reused_for_a_minute_then_signed_anew_and_each_serves_the_image(
    stack: Stack, lambdas: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_common import images

    # Given an image in the bucket
    key = f"uploads/proposals/{unique('EP-')}/photo"
    boto3.client("s3").put_object(Bucket=stack.refs["ImagesBucket"], Key=key, Body=b"\xff\xd8\xff\xe0 jpeg")
    monkeypatch.setenv("IMAGES_BUCKET", stack.refs["ImagesBucket"])
    load_settings.cache_clear()
    images.forget_view_urls()
    signings: list[str] = []
    real_client = images.aws.client
    monkeypatch.setattr(images.aws, "client", lambda service: signings.append(service) or real_client(service))
    # When the page asks for its URL twice within the minute
    first, again = images.view_url(key, "image/jpeg"), images.view_url(key, "image/jpeg")
    # Then it was signed once, and the same URL came back (the browser's cache serves the image)
    assert signings == ["s3"] and again == first
    # And served as another type, or once the minute is over, it is signed anew
    images.view_url(key, "text/html")
    monkeypatch.setattr(images, "VIEW_REUSE_SECONDS", 0)
    fresh = images.view_url(key, "image/jpeg")
    assert signings == ["s3", "s3", "s3"]
    # And every URL serves the image, with the type its bytes proved
    for url in (first, fresh):
        answer = requests.get(url, timeout=5)  # moto answers requests' calls in process
        assert answer.status_code == 200 and answer.content.startswith(b"\xff\xd8\xff")
        assert answer.headers["content-type"] == "image/jpeg"


def test_an_rph_with_a_photo_is_labelled_external_user_and_sent_to_the_crm(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    partner_id = unique("ptn-")
    identity = partner_identity(partner_id)
    bucket = stack.refs["ImagesBucket"]
    # Given a photo uploaded into the partner's draft, and a fake one
    draft = "a1b2c3d4e5f6a1b2c3d4e5f6"
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key=f"uploads/intake/partner-{partner_id}/{draft}/00000000000000aa", Body=jpeg_bytes())
    s3.put_object(
        Bucket=bucket, Key=f"uploads/intake/partner-{partner_id}/{draft}/00000000000000bb", Body=b"MZ not an image"
    )
    fields = {
        "customer_name": "Jane Doe",
        "email": "Jane.Doe@Example.com",
        "phone": "+1 555 0100 200",
        "street": "1 Main Street",
        "city": "Albany",
        "state": "ny",
        "zip": "12207",
        "problem_description": "Cracked foundation wall at the back of the house.",
        "draft": draft,
    }
    # When the partner sends the form (JSON client)
    status, rph = call(
        lambdas, "PartnersRphFormFunction", http_event("POST", "/partners/rph", body=fields, identity=identity)
    )
    # Then the RPH is stored, labelled, with the one real photo
    assert status == 201, rph
    assert (
        rph["label"] == "external user"
        and rph["fields"]["state"] == "NY"
        and rph["fields"]["email"] == "jane.doe@example.com"
    )
    assert [p["content_type"] for p in rph["photos"]] == ["image/jpeg"]
    # And the CRM gets rph.created labelled "external user", in the same transaction
    created = [e for e in outbox_events(stack) if e["type"] == "rph.created"]
    assert len(created) == 1
    assert created[0]["actor"]["label"] == "external user" and created[0]["data"]["label"] == "external user"
    # And sending the same form again makes no second RPH
    status, again = call(
        lambdas, "PartnersRphFormFunction", http_event("POST", "/partners/rph", body=fields, identity=identity)
    )
    assert again["rph_id"] == rph["rph_id"]
    assert len([e for e in outbox_events(stack) if e["type"] == "rph.created"]) == 1
    # And another partner cannot open it
    status, _ = call(
        lambdas,
        "PartnersViewRphFunction",
        http_event(
            "GET",
            f"/partners/rph/{rph['rph_id']}",
            identity=partner_identity(unique("ptn-")),
            path_parameters={"rph_id": rph["rph_id"]},
        ),
    )
    assert status == 404


def test_the_rph_form_shows_each_error_beside_its_field(stack: Stack, lambdas: LambdaHarness) -> None:
    identity = partner_identity(unique("ptn-"))
    status, body = call(
        lambdas,
        "PartnersRphFormFunction",
        http_event(
            "POST", "/partners/rph", body={"customer_name": "J", "email": "nope", "zip": "123"}, identity=identity
        ),
    )
    assert status == 422
    fields = body["error"]["fields"]
    assert {"customer_name", "email", "zip", "street", "problem_description"} <= set(fields)


def test_the_notice_link_leads_to_the_proposal_and_a_tampered_one_is_refused(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    # Given the signed link of a notice email
    notice = lambdas.handler("PartnersOpenNoticeFunction")
    from portal_common import links

    token = links.sign_link("partner-notice", "ptn-a:EP-42", 3600)

    def open_link(token: str, cookies: list[str] | None = None) -> dict[str, Any]:
        return notice(
            http_event(
                "GET",
                f"/partners/notice/{token}",
                route="/partners/notice/{token}",
                accept="text/html",
                cookies=cookies,
                path_parameters={"token": token},
            )
        )

    # When it is opened signed in, or not
    signed_in = open_link(token, cookies=["__Host-partners-session=token"])
    anonymous = open_link(token)
    # Then it goes to the proposal, or to sign-in first and on to the proposal after
    assert signed_in["statusCode"] == 303 and signed_in["headers"]["Location"] == "/partners/proposals/EP-42"
    assert anonymous["statusCode"] == 303
    assert anonymous["headers"]["Location"] == "/partners/sign-in?next=/partners/proposals/EP-42"
    # And a link with one character changed is refused; an expired one says what to do
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert open_link(tampered)["statusCode"] == 403
    expired = links.sign_link("partner-notice", "ptn-a:EP-42", -10)
    answer = open_link(expired)
    assert answer["statusCode"] == 410 and "Sign in to the Partners portal" in answer["body"]
