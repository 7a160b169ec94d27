"""Leadworks handlers with events from events/leadworks/, against moto (tables from template.yaml):
one lead per email, the duplicate answer, ownership, correspondence attached, bulk upload."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

import boto3
import pytest

from local.inprocess import LambdaHarness, sample_event
from local.template import Stack

LEAD = {
    "customer_name": "Ann Example",
    "email": "ann.example@example.com",
    "street": "12 Elm Street",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "problem_description": "Cracked driveway, wants a quote for repaving.",
}


JSON = {"accept": "application/json"}


def identity(advertiser_id: str) -> dict[str, str]:
    return {
        "kind": "advertiser",
        "subject_id": advertiser_id,
        "user_sub": f"sub-{advertiser_id}",
        "email": f"{advertiser_id.lower()}@ads.example",
        "session_id": f"session-{advertiser_id}",
    }


def as_advertiser(sample: str, advertiser_id: str, **changes: Any) -> dict[str, Any]:
    event = sample_event(f"leadworks/{sample}")
    event["requestContext"]["authorizer"] = {"lambda": identity(advertiser_id)}
    headers = changes.pop("headers", {})
    event["headers"].update(headers)
    event.update(changes)
    return event


def json_body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])


def outbox(stack: Stack, event_type: str | None = None) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    events = [json.loads(item["event"]["S"]) for item in items]
    return [e for e in events if event_type is None or e["type"] == event_type]


def lead_items(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["IntakeTable"])["Items"]
    return [i for i in items if i["pk"]["S"].startswith("LEAD#") and i["sk"]["S"] == "RECORD"]


def create_json(lambdas: LambdaHarness, advertiser_id: str, **fields: str) -> dict[str, Any]:
    body = json.dumps({**LEAD, **fields})
    return lambdas.invoke("LeadworksCreateLeadFunction", as_advertiser("create_lead.json", advertiser_id, body=body))


def eml(sender: str, to: str, subject: str, date: str, cc: str = "") -> bytes:
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <{uuid.uuid4().hex}@mail.example>",
    ]
    if cc:
        headers.append(f"Cc: {cc}")
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", f"About: {subject}."]
    return "\r\n".join(headers).encode()


def archive(stack: Stack, lambdas: LambdaHarness, raw: bytes) -> str:
    """A message as SES inbound archives it, then its S3 notification delivered to the indexer."""
    bucket, key = stack.refs["MailArchiveBucket"], f"inbound/{uuid.uuid4().hex}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    event = sample_event("leadworks/index_archived_mail.json")
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key)  # as S3 sends it: URL-encoded
    lambdas.invoke("LeadworksMailIndexerFunction", event)
    return key


# -- one lead per email ------------------------------------------------------------------------------
def test_a_lead_is_labelled_external_user_and_sent_to_the_crm(stack: Stack, lambdas: LambdaHarness) -> None:
    # When an advertiser creates a lead with an address in odd case and spacing
    answer = create_json(lambdas, "A-1", email="  Ann.Example@Example.COM ")
    # Then it is created under the normalised address, owned by the advertiser, labelled
    assert answer["statusCode"] == 201
    lead = json_body(answer)
    assert lead["label"] == "external user" and lead["email_key"] == "ann.example@example.com"
    [item] = lead_items(stack)
    assert item["pk"]["S"] == "LEAD#ann.example@example.com"
    assert item["owner_key"]["S"] == "ADVERTISER#A-1"
    # And the CRM hears of it once, with the label and the form's fields, plus the activity
    [created] = outbox(stack, "lead.created")
    assert created["data"]["label"] == "external user" and created["data"]["lead_id"] == lead["lead_id"]
    assert created["data"]["customer_name"] == "Ann Example" and created["actor"]["label"] == "external user"
    assert [a["data"]["action"] for a in outbox(stack, "activity")] == ["created"]


def test_a_second_lead_with_the_same_email_is_refused_whoever_sends_it(stack: Stack, lambdas: LambdaHarness) -> None:
    first = json_body(create_json(lambdas, "A-1"))
    # When another advertiser sends the same address, spelled differently
    other = create_json(lambdas, "B-2", email="ANN.EXAMPLE@example.com ", customer_name="Someone Else")
    # Then it is a clear 409 that reveals nothing of the existing lead or its owner
    assert other["statusCode"] == 409
    error = json_body(other)["error"]
    assert error["code"] == "lead_exists"
    assert "already exists" in error["message"]
    assert first["lead_id"] not in other["body"] and "A-1" not in other["body"] and "next_step" not in error
    # And when its own advertiser sends it again, the answer is the same, with the way to its lead
    again = json_body(create_json(lambdas, "A-1"))["error"]
    assert again["code"] == "lead_exists" and first["lead_id"] in again["next_step"]
    # And there is still one lead, and one lead.created event
    assert len(lead_items(stack)) == 1
    assert len(outbox(stack, "lead.created")) == 1


def form_session(lambdas: LambdaHarness, advertiser_id: str) -> tuple[str, str, str]:
    """Open the form page as a browser: (csrf token, its cookie, the photo draft id)."""
    page = lambdas.invoke("LeadworksNewLeadFunction", as_advertiser("new_lead.json", advertiser_id))
    assert page["statusCode"] == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page["body"]).group(1)  # type: ignore[union-attr]
    draft = re.search(r'name="draft" value="([0-9a-f]+)"', page["body"]).group(1)  # type: ignore[union-attr]
    cookie = next(c.split(";")[0] for c in page["cookies"] if c.startswith("__Host-leadworks-csrf="))
    return token, cookie, draft


def post_form(
    lambdas: LambdaHarness, advertiser_id: str, session: tuple[str, str, str], **fields: str
) -> dict[str, Any]:
    token, cookie, draft = session
    body = urlencode({"csrf_token": token, "draft": draft, **LEAD, **fields})
    event = as_advertiser(
        "create_lead_form.json", advertiser_id, body=body, cookies=[cookie], headers={"cookie": cookie}
    )
    return lambdas.invoke("LeadworksCreateLeadFunction", event)


def test_a_browser_gets_the_form_back_saying_the_lead_exists(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a lead created from the form (the browser is sent to it)
    created = post_form(lambdas, "A-1", form_session(lambdas, "A-1"))
    assert created["statusCode"] == 303 and created["headers"]["Location"].startswith("/leadworks/leads/")
    # When a browser of another advertiser sends the same address on a new form
    duplicate = post_form(lambdas, "B-2", form_session(lambdas, "B-2"), email="Ann.Example@example.com")
    # Then it gets the form page again, 409, saying a lead with this email exists, its input kept
    assert duplicate["statusCode"] == 409
    assert duplicate["headers"]["Content-Type"].startswith("text/html")
    assert "A lead with this email address already exists" in duplicate["body"]
    assert 'value="Ann.Example@example.com"' in duplicate["body"]
    assert created["headers"]["Location"].rsplit("/", 1)[1].split("?")[0] not in duplicate["body"]
    assert len(lead_items(stack)) == 1


def test_the_same_form_sent_twice_is_one_lead_not_a_duplicate(stack: Stack, lambdas: LambdaHarness) -> None:
    session = form_session(lambdas, "A-1")
    first = post_form(lambdas, "A-1", session)
    second = post_form(lambdas, "A-1", session)  # a double click
    assert first["statusCode"] == second["statusCode"] == 303
    assert first["headers"]["Location"] == second["headers"]["Location"]
    assert len(outbox(stack, "lead.created")) == 1


def test_a_form_post_without_its_csrf_token_changes_nothing(stack: Stack, lambdas: LambdaHarness) -> None:
    _token, cookie, draft = form_session(lambdas, "A-1")
    answer = post_form(lambdas, "A-1", ("forged", cookie, draft))
    assert answer["statusCode"] == 403
    assert lead_items(stack) == [] and outbox(stack, "lead.created") == []


# -- own leads only -----------------------------------------------------------------------------------
def test_advertisers_see_their_own_leads_and_never_anyone_elses(stack: Stack, lambdas: LambdaHarness) -> None:
    mine = json_body(create_json(lambdas, "A-1"))
    theirs = json_body(create_json(lambdas, "B-2", email="bob@example.com"))
    # The list holds one's own leads only
    listed = json_body(
        lambdas.invoke("LeadworksListLeadsFunction", as_advertiser("list_leads.json", "A-1", headers=JSON))
    )
    assert [lead["lead_id"] for lead in listed["leads"]] == [mine["lead_id"]]
    # One's own lead opens; another's is not found, exactly like no lead at all
    view = lambdas.handler("LeadworksViewLeadFunction")

    def open_lead(lead_id: str, advertiser_id: str) -> dict[str, Any]:
        event = as_advertiser("view_lead.json", advertiser_id, rawPath=f"/leadworks/leads/{lead_id}", headers=JSON)
        event["requestContext"]["http"]["path"] = event["rawPath"]
        event["pathParameters"] = {"lead_id": lead_id}
        return view(event)

    assert open_lead(mine["lead_id"], "A-1")["statusCode"] == 200
    refused, missing = open_lead(theirs["lead_id"], "A-1"), open_lead(uuid.uuid4().hex, "A-1")
    assert refused["statusCode"] == missing["statusCode"] == 404
    refused_error, missing_error = json_body(refused)["error"], json_body(missing)["error"]
    assert (refused_error["code"], refused_error["message"]) == (missing_error["code"], missing_error["message"])
    assert "bob@example.com" not in refused["body"]


def test_the_list_pages_through_an_advertisers_leads_newest_first(stack: Stack, lambdas: LambdaHarness) -> None:
    for n in range(27):
        create_json(lambdas, "A-1", email=f"lead{n}@example.com")
    create_json(lambdas, "B-2", email="other@example.com")
    handler = lambdas.handler("LeadworksListLeadsFunction")
    first = json_body(handler(as_advertiser("list_leads.json", "A-1", headers=JSON)))
    assert len(first["leads"]) == 25 and first["leads"][0]["email"] == "lead26@example.com"
    event = as_advertiser("list_leads.json", "A-1", rawQueryString=f"after={first['next']}", headers=JSON)
    event["queryStringParameters"] = {"after": first["next"]}
    second = json_body(handler(event))
    assert [lead["email"] for lead in second["leads"]] == ["lead1@example.com", "lead0@example.com"]
    assert second["next"] is None


# -- correspondence -----------------------------------------------------------------------------------
def test_earlier_and_later_correspondence_is_attached_once(stack: Stack, lambdas: LambdaHarness) -> None:
    prospect = f"prospect.{uuid.uuid4().hex[:8]}@example.com"
    # Given three archived messages with the prospect's address (From, To, Cc) and one without
    for n, (sender, to, cc) in enumerate(
        [
            (prospect, "sales@northfield.example", ""),
            ("sales@northfield.example", prospect.upper(), ""),
            ("ops@northfield.example", "team@northfield.example", f"Prospect <{prospect}>"),
        ]
    ):
        archive(stack, lambdas, eml(sender, to, f"Quote {n}", f"Mon, {n + 1} Sep 2026 10:00:00 +0000", cc))
    archive(
        stack, lambdas, eml("x@example.com", "sales@northfield.example", "Unrelated", "Mon, 1 Sep 2026 10:00:00 +0000")
    )
    # When a lead is created for that address
    lead = json_body(create_json(lambdas, "A-1", email=prospect))
    # Then its event references the three messages, oldest first
    [created] = outbox(stack, "lead.created")
    assert [r["subject"] for r in created["data"]["correspondence"]] == ["Quote 0", "Quote 1", "Quote 2"]
    # When a fourth message arrives later (and its notification is delivered twice)
    key = archive(
        stack, lambdas, eml("sales@northfield.example", prospect, "Following up", "Tue, 1 Dec 2026 10:00:00 +0000")
    )
    again = sample_event("leadworks/index_archived_mail.json")
    again["Records"][0]["s3"]["bucket"]["name"] = stack.refs["MailArchiveBucket"]
    again["Records"][0]["s3"]["object"]["key"] = quote_plus(key)
    lambdas.invoke("LeadworksMailIndexerFunction", again)
    # Then it is attached too, once, and the CRM hears of it once
    event = as_advertiser("view_lead.json", "A-1", rawPath=f"/leadworks/leads/{lead['lead_id']}", headers=JSON)
    event["pathParameters"] = {"lead_id": lead["lead_id"]}
    detail = json_body(lambdas.invoke("LeadworksViewLeadFunction", event))
    assert [m["subject"] for m in detail["correspondence"]] == ["Quote 0", "Quote 1", "Quote 2", "Following up"]
    [attached] = outbox(stack, "lead.correspondence_attached")
    assert [r["message_key"] for r in attached["data"]["correspondence"]] == [key]
    assert attached["subject"] == f"lead:{lead['lead_id']}"


def test_a_message_archived_while_the_lead_is_written_is_attached_by_the_lead(
    stack: Stack, lambdas: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    prospect = f"race.{uuid.uuid4().hex[:8]}@example.com"
    handler = lambdas.handler("LeadworksCreateLeadFunction")
    import correspondence.mail_index as mail_index  # the function's own module, as loaded
    from correspondence.parsing import parse_message

    real = mail_index.messages_for
    calls = {"n": 0}

    def index_lands_right_after_the_first_read(address: str) -> list[Any]:
        calls["n"] += 1
        found = real(address)
        if calls["n"] == 1:  # the indexer stores the message now and finds no lead yet
            raw = eml("sales@northfield.example", prospect, "Just in time", "Wed, 2 Dec 2026 10:00:00 +0000")
            mail_index.put_message(
                parse_message(raw, bucket="archive", key="inbound/race", stored_at=datetime.now(UTC))
            )
        return found

    monkeypatch.setattr(mail_index, "messages_for", index_lands_right_after_the_first_read)
    answer = handler(as_advertiser("create_lead.json", "A-1", body=json.dumps({**LEAD, "email": prospect})))
    assert answer["statusCode"] == 201
    [created] = outbox(stack, "lead.created")
    assert created["data"]["correspondence"] == []
    [attached] = outbox(stack, "lead.correspondence_attached")
    assert [r["subject"] for r in attached["data"]["correspondence"]] == ["Just in time"]


# -- bulk upload --------------------------------------------------------------------------------------
def upload_event(advertiser_id: str, text: str) -> dict[str, Any]:
    return as_advertiser(
        "upload_leads.json", advertiser_id, body=base64.b64encode(text.encode()).decode(), isBase64Encoded=True
    )


def test_a_bulk_upload_keeps_the_valid_rows_and_reports_every_row(stack: Stack, lambdas: LambdaHarness) -> None:
    create_json(lambdas, "B-2", email="taken@example.com")
    text = "\n".join(
        [
            "customer_name,email,street,city,state,zip,problem_description,notes",
            "Ann Lee,ann.lee@example.com,1 Main St,Austin,TX,73301,Roof leaks after rain,x",
            "Ann Twice, ANN.LEE@example.com,1 Main St,Austin,TX,73301,Roof leaks after rain,x",
            "Tom Taken,Taken@Example.com,2 Main St,Austin,TX,73301,Fence fell over,x",
            "Bad Mail,not-an-email,3 Main St,Austin,TX,73301,Gutter hanging off,x",
            "Cy Lee,cy.lee@example.com,4 Main St,Austin,TX,73301,Driveway is cracked,x",
        ]
    )
    answer = lambdas.invoke("LeadworksUploadLeadsFunction", upload_event("A-1", text))
    assert answer["statusCode"] == 200
    report = json_body(answer)
    assert report["summary"] == {"rows": 5, "created": 2, "duplicate": 2, "invalid": 1, "not_processed": 0}
    assert [(r["row"], r["result"]) for r in report["rows"]] == [
        (2, "created"),
        (3, "duplicate"),
        (4, "duplicate"),
        (5, "invalid"),
        (6, "created"),
    ]
    assert report["rows"][2]["reason"] == "A lead with this email address already exists"
    assert report["ignored_columns"] == ["notes"]
    # Only the valid rows became leads (plus the one that existed), each sent to the CRM
    assert sorted(i["pk"]["S"] for i in lead_items(stack)) == [
        "LEAD#ann.lee@example.com",
        "LEAD#cy.lee@example.com",
        "LEAD#taken@example.com",
    ]
    sources = sorted(e["data"]["source"] for e in outbox(stack, "lead.created"))
    assert sources == ["leadworks_form", "leadworks_upload", "leadworks_upload"]
    # And the report downloads as CSV for its advertiser, and for no one else
    download = lambdas.handler("LeadworksUploadReportFunction")

    def fetch(advertiser_id: str) -> dict[str, Any]:
        event = as_advertiser("upload_report.json", advertiser_id)
        event["pathParameters"] = {"upload_id": report["upload_id"]}
        event["rawPath"] = report["report_url"]
        return download(event)

    mine = fetch("A-1")
    assert mine["statusCode"] == 200 and mine["headers"]["Content-Type"].startswith("text/csv")
    data = base64.b64decode(mine["body"]) if mine.get("isBase64Encoded") else mine["body"].encode()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["row"], r["result"]) for r in rows] == [(str(r["row"]), r["result"]) for r in report["rows"]]
    assert fetch("B-2")["statusCode"] == 404


def test_the_upload_page_shows_the_report_for_a_browser(stack: Stack, lambdas: LambdaHarness) -> None:
    page = lambdas.invoke("LeadworksUploadFormFunction", as_advertiser("upload_form.json", "A-1"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page["body"]).group(1)  # type: ignore[union-attr]
    cookie = next(c.split(";")[0] for c in page["cookies"] if c.startswith("__Host-leadworks-csrf="))
    boundary = "----leadworks"
    text = "customer_name,email,street,city,state,zip,problem_description\nAnn Lee,ann.lee@example.com,1 Main St,Austin,TX,73301,Roof leaks after rain\n"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads-août.csv"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n'
        f"--{boundary}--\r\n"
    )
    event = upload_event("A-1", "")
    event["body"] = base64.b64encode(body.encode()).decode()
    event["headers"].update(
        {"content-type": f"multipart/form-data; boundary={boundary}", "accept": "text/html", "cookie": cookie}
    )
    event["cookies"] = [cookie]
    answer = lambdas.invoke("LeadworksUploadLeadsFunction", event)
    assert answer["statusCode"] == 200
    # (the file's name as the browser sent it: UTF-8)
    assert (
        "1 created" in answer["body"] and "leads-août.csv" in answer["body"] and "Download the report" in answer["body"]
    )
    # without the token, nothing is created
    event["body"] = base64.b64encode(body.replace(token, "forged").encode()).decode()
    assert lambdas.invoke("LeadworksUploadLeadsFunction", event)["statusCode"] == 403
    assert len(lead_items(stack)) == 1


def test_a_file_that_cannot_be_read_is_refused_whole_with_the_reason(stack: Stack, lambdas: LambdaHarness) -> None:
    handler = lambdas.handler("LeadworksUploadLeadsFunction")
    # An API client gets the error as JSON
    api = handler(upload_event("A-1", "name,email\nAnn,ann@example.com\n"))
    assert api["statusCode"] == 422
    assert "Street address" in json_body(api)["error"]["message"]
    # A browser gets the upload page again, saying what is wrong (here with a text/csv body for brevity)
    event = upload_event("A-1", "name,email\nAnn,ann@example.com\n")
    event["headers"]["accept"] = "text/html"
    page = handler(event)
    assert page["statusCode"] == 422 and "The file was not uploaded" in page["body"] and 'type="file"' in page["body"]
    assert lead_items(stack) == []


def test_a_retried_write_that_had_committed_is_not_reported_as_a_duplicate(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    lambdas.load("LeadworksCreateLeadFunction")  # the function's environment and modules
    from leads import repository, writing
    from leads.models import Lead

    from portal_common.events import Actor
    from portal_common.intake.models import IntakeFields

    def write(lead_id: str) -> repository.LeadWrite:
        lead = Lead(
            lead_id=lead_id,
            advertiser_id="A-1",
            email_key="ann.example@example.com",
            source="leadworks_upload",
            fields=IntakeFields.model_validate(LEAD),
            created_at=datetime.now(UTC),
            created_by="a-1@ads.example",
        )
        return writing.lead_write(lead, [], Actor(kind="advertiser", id="A-1"), touch=False)

    first = write(uuid.uuid4().hex)
    assert repository.add_leads([first]) == set()
    # When the same transaction is sent again (an SDK retry after a timeout, re-run by the emulator)
    assert repository.add_leads([first]) == set()
    # But another lead for the address is refused
    assert repository.add_leads([write(uuid.uuid4().hex)]) == {0}
    assert len(lead_items(stack)) == 1 and len(outbox(stack, "lead.created")) == 1
