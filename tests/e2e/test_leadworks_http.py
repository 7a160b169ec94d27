"""Leadworks over real HTTP on the local stack: one lead per email under 50 concurrent submissions,
archived correspondence attached before and after the lead, a 1,000-row CSV upload, ownership."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx

from tests.support.local_stack import LocalStackProcess

PASSWORD = "E2e-Leadworks-2026"
JSON = {"accept": "application/json"}
LEAD = {
    "customer_name": "Prospect Person",
    "street": "1 Main St",
    "city": "Austin",
    "state": "TX",
    "zip": "73301",
    "problem_description": "The driveway is badly cracked and needs repaving.",
}


@dataclass
class Advertiser:
    advertiser_id: str
    email: str
    cookie: str
    stack: LocalStackProcess

    def client(self) -> httpx.Client:
        # the session cookie is __Host- (Secure): sent by hand over the local stack's plain HTTP
        return self.stack.client(headers={"cookie": self.cookie, **JSON})


def new_advertiser(local_stack: LocalStackProcess) -> Advertiser:
    """Registered through the CRM route, its first password kept, signed in (JSON)."""
    advertiser_id = f"E2E-{uuid.uuid4().hex[:10]}"
    email = f"{advertiser_id.lower()}@ads.example"
    with local_stack.client() as http:
        registered = http.post(
            "/crm/advertisers",
            json={
                "advertiser_id": advertiser_id,
                "company_name": "E2E Ads",
                "email": email,
                "temporary_password": PASSWORD,
            },
        )
        assert registered.status_code == 201, registered.text
        local_stack.aws("cognito-idp").admin_set_user_password(
            UserPoolId=local_stack.info["outputs"]["AdvertisersUserPoolId"],
            Username=email,
            Password=PASSWORD,
            Permanent=True,
        )
        signed_in = http.post("/leadworks/sign-in", json={"email": email, "password": PASSWORD}, headers=JSON)
        assert signed_in.status_code == 200, signed_in.text
    cookie = "; ".join(c.split(";", 1)[0] for c in signed_in.headers.get_list("set-cookie"))
    return Advertiser(advertiser_id, email, cookie, local_stack)


def lead_created_events(local_stack: LocalStackProcess, **data: Any) -> list[dict[str, Any]]:
    return [
        e["event"]
        for e in local_stack.crm_log()
        if e["event"]["type"] == "lead.created" and all(e["event"]["data"].get(k) == v for k, v in data.items())
    ]


def eventually(check: Any, timeout: float = 60, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


# -- one lead per email, whatever the concurrency --------------------------------------------------
def test_fifty_concurrent_submissions_of_one_email_make_exactly_one_lead(local_stack: LocalStackProcess) -> None:
    first, second = new_advertiser(local_stack), new_advertiser(local_stack)
    target = f"race.{uuid.uuid4().hex[:10]}@example.com"
    local, domain = target.split("@")
    spellings = [target, target.upper(), f"  {target} ", f"{local.title()}@{domain.upper()}", f"\t{target.upper()}  "]

    def submit(n: int) -> tuple[Advertiser, httpx.Response]:
        advertiser = (first, second)[n % 2]  # two advertisers race for the same prospect
        with advertiser.client() as http:
            return advertiser, http.post("/leadworks/leads", json={**LEAD, "email": spellings[n % len(spellings)]})

    # When 50 submissions of one address, in different case and spacing, arrive at once
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(submit, range(50)))
    answers = [answer for _, answer in results]
    # Then exactly one lead is created, and the 49 others get a clear duplicate answer
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 49}
    for refused in (a for a in answers if a.status_code == 409):
        error = refused.json()["error"]
        assert error["code"] == "lead_exists" and "already exists" in error["message"]
    [winner] = [a.json() for a in answers if a.status_code == 201]
    assert winner["email_key"] == target and winner["label"] == "external user"
    # And the CRM gets exactly one lead.created event for it
    local_stack.wait_for_event(
        lambda e: e["type"] == "lead.created" and e["data"].get("email_key") == target, timeout=60
    )
    time.sleep(2)  # anything else would have been relayed by now
    assert len(lead_created_events(local_stack, email_key=target)) == 1
    # And the other advertiser's refusals tell nothing about the winner's lead
    others = [a for advertiser, a in results if advertiser.advertiser_id != winner["advertiser_id"]]
    assert others and all(winner["lead_id"] not in a.text and winner["advertiser_id"] not in a.text for a in others)


# -- correspondence ----------------------------------------------------------------------------------
def archived(sender: str, to: str, subject: str, sent: datetime) -> bytes:
    msg = EmailMessage()
    msg["Received"] = f"from mx.example.net by inbound-smtp.us-east-1.amazonaws.com; {format_datetime(sent)}"
    msg["From"], msg["To"], msg["Subject"], msg["Date"] = sender, to, subject, format_datetime(sent)
    msg.set_content(f"{subject}: a message between the company and a prospect.")
    return msg.as_bytes()


def archive(local_stack: LocalStackProcess, raw: bytes) -> str:
    """What SES inbound does in AWS: the raw message into the archive bucket, under inbound/."""
    key = f"inbound/e2e-{uuid.uuid4().hex}"
    local_stack.aws("s3").put_object(Bucket=local_stack.info["outputs"]["MailArchiveBucketName"], Key=key, Body=raw)
    return key


def indexed(local_stack: LocalStackProcess, address: str) -> int:
    answer = local_stack.aws("dynamodb").query(
        TableName=local_stack.info["refs"]["MailIndexTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ADDRESS#{address}"}},
        Select="COUNT",
    )
    return int(answer["Count"])


def test_a_lead_shows_its_earlier_mail_and_mail_archived_later(local_stack: LocalStackProcess) -> None:
    advertiser = new_advertiser(local_stack)
    prospect = f"prospect.{uuid.uuid4().hex[:10]}@example.com"
    company = "sales@northfield.example"
    start = datetime.now(UTC) - timedelta(days=30)
    # Given three archived messages with the prospect (written to and from, in another case)
    for n, (sender, to) in enumerate(
        [(prospect, company), (company, prospect.upper()), (f"Pat <{prospect}>", company)]
    ):
        archive(local_stack, archived(sender, to, f"Earlier {n}", start + timedelta(days=n)))
    assert eventually(lambda: indexed(local_stack, prospect) == 3), "the archive was not indexed"
    # When the advertiser creates the prospect's lead
    with advertiser.client() as http:
        created = http.post("/leadworks/leads", json={**LEAD, "email": prospect})
        assert created.status_code == 201
        lead_id = created.json()["lead_id"]
        # Then its page lists the three messages
        detail = http.get(f"/leadworks/leads/{lead_id}").json()
        assert [m["subject"] for m in detail["correspondence"]] == ["Earlier 0", "Earlier 1", "Earlier 2"]
        page = http.get(f"/leadworks/leads/{lead_id}", headers={"accept": "text/html"})
        assert page.status_code == 200 and page.text.count('class="message"') == 3
    # And its CRM event references them
    event = local_stack.wait_for_event(lambda e: e["type"] == "lead.created" and e["data"]["lead_id"] == lead_id)
    assert len(event["data"]["correspondence"]) == 3
    # When a fourth message is archived later
    fourth = archive(local_stack, archived(company, prospect, "Later one", datetime.now(UTC)))
    # Then it is attached as well: on the page, and in a CRM event about the lead
    with advertiser.client() as http:
        four = eventually(lambda: len(http.get(f"/leadworks/leads/{lead_id}").json()["correspondence"]) == 4)
    assert four, "the fourth message was not attached"
    attached = local_stack.wait_for_event(
        lambda e: e["type"] == "lead.correspondence_attached" and e["subject"] == f"lead:{lead_id}"
    )
    assert [r["message_key"] for r in attached["data"]["correspondence"]] == [fourth]


# -- own leads only ---------------------------------------------------------------------------------
def test_another_advertisers_lead_is_not_found(local_stack: LocalStackProcess) -> None:
    owner, other = new_advertiser(local_stack), new_advertiser(local_stack)
    with owner.client() as http:
        lead_id = http.post(
            "/leadworks/leads", json={**LEAD, "email": f"own.{uuid.uuid4().hex[:8]}@example.com"}
        ).json()["lead_id"]
    with other.client() as http:
        assert http.get(f"/leadworks/leads/{lead_id}").status_code == 404
        assert all(lead["lead_id"] != lead_id for lead in http.get("/leadworks/leads").json()["leads"])
    with local_stack.client() as anonymous:
        assert anonymous.get(f"/leadworks/leads/{lead_id}", headers=JSON).status_code in (401, 403)


# -- bulk upload --------------------------------------------------------------------------------------
def thousand_rows(tag: str, taken: list[str]) -> tuple[bytes, dict[int, str]]:
    """1,000 rows: 350 new leads, 150 repeats of them (other case and spacing), 100 of existing
    leads, 300 bad email addresses and 100 rows missing a required field. Returns the file and the
    expected result of each row (by spreadsheet row number)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer_name", "email", "street", "city", "state", "zip", "problem_description", "campaign"])
    expected: dict[int, str] = {}
    for n in range(1000):
        row, kind = n + 2, n % 20
        city = "Austin"
        if kind < 7:  # 350 new
            email, result = f"bulk{n}.{tag}@example.com", "created"
        elif kind < 10:  # 150 repeats of an earlier new row of this file
            email, result = f"  BULK{n - 7}.{tag}@Example.com ", "duplicate"
        elif kind < 12:  # 100 leads that exist already (another advertiser's)
            email, result = taken[n % len(taken)].upper(), "duplicate"
        elif kind < 18:  # 300 bad addresses
            email, result = [f"bulk{n}.{tag}", f"bulk{n}@", f"bulk {n}@example.com"][n % 3], "invalid"
        else:  # 100 rows without a city
            email, result, city = f"nocity{n}.{tag}@example.com", "invalid", ""
        writer.writerow(
            [f"Bulk Person {n}", email, f"{n} Main St", city, "TX", "73301", "Roof leaks after every storm.", "fall"]
        )
        expected[row] = result
    return out.getvalue().encode(), expected


def test_a_thousand_row_csv_gets_a_correct_report_and_only_valid_rows_become_leads(
    local_stack: LocalStackProcess,
) -> None:
    uploader, other = new_advertiser(local_stack), new_advertiser(local_stack)
    tag = uuid.uuid4().hex[:8]
    taken = [f"taken{n}.{tag}@example.com" for n in range(5)]
    with other.client() as http:
        for email in taken:
            assert http.post("/leadworks/leads", json={**LEAD, "email": email}).status_code == 201
    data, expected = thousand_rows(tag, taken)
    # When the advertiser uploads the 1,000-row file (as an API client: text/csv)
    with uploader.client() as http:
        answer = http.post("/leadworks/leads/upload", content=data, headers={"content-type": "text/csv"})
    # Then every row has its result; none was left unprocessed by the upload's time guard
    assert answer.status_code == 200, answer.text[:500]
    report = answer.json()
    assert report["summary"] == {"rows": 1000, "created": 350, "duplicate": 250, "invalid": 400, "not_processed": 0}
    assert {r["row"]: r["result"] for r in report["rows"]} == expected
    reasons = {r["row"]: r["reason"] for r in report["rows"]}
    assert reasons[2 + 7] == "Same email address as row 2 of this file"
    assert reasons[2 + 10] == "A lead with this email address already exists"
    assert reasons[2 + 12].startswith("Email") and "City" in reasons[2 + 18]
    # And the downloadable report says the same
    with uploader.client() as http:
        download = http.get(report["report_url"])
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert {int(r["row"]): r["result"] for r in rows} == expected
    # And only the valid rows became leads: each created row's lead exists and is the uploader's,
    # and the CRM received exactly one lead.created per created row
    created = {r["lead_id"] for r in report["rows"] if r["result"] == "created"}
    assert len(created) == 350
    events = eventually(lambda: len(lead_created_events(local_stack, upload_id=report["upload_id"])) >= 350, 120, 1)
    assert events, "the created leads did not all reach the CRM"
    sent = lead_created_events(local_stack, upload_id=report["upload_id"])
    assert {e["data"]["lead_id"] for e in sent} == created and len(sent) == 350
    assert all(
        e["data"]["label"] == "external user" and e["data"]["advertiser_id"] == uploader.advertiser_id for e in sent
    )
    table = local_stack.info["refs"]["IntakeTable"]
    no_city = [r["email"] for r in report["rows"] if r["email"].startswith("nocity")]
    keys = [{"pk": {"S": f"LEAD#{email}"}, "sk": {"S": "RECORD"}} for email in no_city]
    assert len(keys) == 100
    found = local_stack.aws("dynamodb").batch_get_item(RequestItems={table: {"Keys": keys}})["Responses"][table]
    assert found == []
