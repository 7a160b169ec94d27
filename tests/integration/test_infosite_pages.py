"""Info site pages on their function URLs: unsubscribe (GET changes nothing, POST and RFC 8058
one-click unsubscribe, idempotent) and the quote form (prefilled, validated, a lead or an opportunity,
alerts, one request per email), handlers invoked with events/infosite samples against moto."""

from __future__ import annotations

import email
import email.policy
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
from botocore.stub import Stubber
from moto.ses.models import ses_backends

from local.template import ACCOUNT_ID, Stack
from portal_common import aws
from tests.support.lambda_env import LambdaHarness, sample_event
from tests.support.outbox_stream import outbox_stream_event


# -- helpers -----------------------------------------------------------------------------------
def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def upsert(lambdas: LambdaHarness, contact_id: str, **fields: Any) -> None:
    body = {"name": "Pat Prospect", "email": f"{contact_id}@example.com", "kind": "prospect", **fields}
    event = sample_event(
        "infosite/upsert_contact.json",
        rawPath=f"/crm/contacts/{contact_id}",
        pathParameters={"contact_id": contact_id},
        body=json.dumps(body),
    )
    assert lambdas.invoke("UpsertContactFunction", event)["statusCode"] == 200


def mail_to(address: str) -> list[email.message.EmailMessage]:
    backend = ses_backends[ACCOUNT_ID]["us-east-1"]
    messages = [
        email.message_from_string(m.raw_data, policy=email.policy.default)  # type: ignore[misc]
        for m in backend.sent_messages
        if hasattr(m, "raw_data")
    ]
    return [m for m in messages if address in str(m["To"])]


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def nurture_links(lambdas: LambdaHarness, contact_id: str) -> tuple[str, str]:
    """Send the contact a nurture email; the (unsubscribe, quote) tokens of its links."""
    body = json.dumps({"send_id": uuid.uuid4().hex, "contact_id": contact_id, "campaign": "Nurture P2", "step": 1})
    record = {**sample_event("infosite/send_nurture_email.json")["Records"][0], "body": body}
    assert lambdas.invoke("NurtureSenderFunction", {"Records": [record]}) == {"batchItemFailures": []}
    message = mail_to(f"{contact_id}@example.com")[-1]
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    quote_url = re.search(r"(http\S+/fn/QuoteFunction/\?token=\S+)", text)
    assert quote_url is not None
    return token_of(message["List-Unsubscribe"].strip("<>")), token_of(quote_url.group(1))


def url_event(
    sample: str,
    method: str,
    token: str,
    *,
    body: str | None = None,
    content_type: str | None = None,
    cookies: list[str] | None = None,
    accept: str = "text/html",
) -> dict[str, Any]:
    event = sample_event(f"infosite/{sample}.json", rawQueryString=urlencode({"token": token}))
    event["queryStringParameters"] = {"token": token}
    event["requestContext"]["http"]["method"] = method
    event["headers"]["accept"] = accept
    if content_type:
        event["headers"]["content-type"] = content_type
    if body is not None:
        event["body"] = body
    if cookies:
        event["cookies"] = cookies
    return event


def csrf_of(answer: dict[str, Any]) -> tuple[list[str], str]:
    """The CSRF cookie the page set (as the browser sends it back) and the form's hidden token."""
    cookie = next(c for c in answer.get("cookies", []) if c.startswith("__Host-csrf="))
    match = re.search(r'name="csrf_token" value="([^"]+)"', answer["body"])
    assert match is not None
    return [cookie.split(";", 1)[0]], match.group(1)


def contact(stack: Stack, contact_id: str) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(
        TableName=stack.refs["ContactsTable"], Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}}
    )["Item"]


def events_about(stack: Stack, contact_id: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    found = [json.loads(i["event"]["S"]) for i in items]
    return [e for e in found if e["subject"] == f"contact:{contact_id}" and e["type"] != "nurture.sent"]


def tampered(token: str) -> str:
    return token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")


ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


# -- unsubscribe -------------------------------------------------------------------------------
def test_the_unsubscribe_link_shows_a_confirmation_and_changes_nothing(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    unsubscribe_token, _ = nurture_links(lambdas, contact_id)
    before = events_about(stack, contact_id)
    # When the link is opened (a person, or a mail scanner)
    answer = lambdas.invoke("UnsubscribeFunction", url_event("unsubscribe", "GET", unsubscribe_token))
    # Then a page asks for confirmation, with a button that posts back with a CSRF token
    assert answer["statusCode"] == 200
    assert "Stop our promotional emails?" in answer["body"]
    assert f"{contact_id[:1]}•••@example.com" in answer["body"]
    assert 'method="post"' in answer["body"] and 'name="csrf_token"' in answer["body"]
    # And nothing changed, nothing was told to the CRM
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": False}
    assert events_about(stack, contact_id) == before


def test_the_confirmation_post_unsubscribes_once_and_tells_the_crm(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    token, _ = nurture_links(lambdas, contact_id)
    page = lambdas.handler("UnsubscribeFunction")
    cookies, csrf_token = csrf_of(page(url_event("unsubscribe", "GET", token)))
    post = url_event(
        "unsubscribe", "POST", token, body=urlencode({"csrf_token": csrf_token}), content_type=FORM, cookies=cookies
    )
    # When the button is pressed, twice
    first, second = page(post), page(post)
    # Then both answer the done page, and the contact is unsubscribed
    assert first["statusCode"] == 200 and "You are unsubscribed" in first["body"]
    assert second["statusCode"] == 200
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": True}
    # And the CRM was told once: the unsubscribe and the activity
    told = events_about(stack, contact_id)
    assert sorted(e["type"] for e in told if e["type"] != "contact.synced") == ["activity", "contact.unsubscribed"]
    activity = next(e for e in told if e["type"] == "activity")
    assert activity["data"]["action"] == "unsubscribed" and activity["actor"]["kind"] == "contact"
    assert activity["actor"]["source_ip"] == "198.51.100.7"


def test_a_confirmation_post_without_the_csrf_token_is_refused(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    token, _ = nurture_links(lambdas, contact_id)
    post = url_event("unsubscribe", "POST", token, body="confirm=yes", content_type=FORM)
    answer = lambdas.invoke("UnsubscribeFunction", post)
    assert answer["statusCode"] == 403
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": False}


def test_one_click_with_a_tampered_token_is_403_and_with_a_valid_one_200_without_redirect(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    token, _ = nurture_links(lambdas, contact_id)
    page = lambdas.handler("UnsubscribeFunction")
    # When the mail client posts one-click with a changed token
    refused = page(url_event("unsubscribe", "POST", tampered(token), body=ONE_CLICK, content_type=FORM))
    # Then it is refused and nothing changed
    assert refused["statusCode"] == 403
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": False}
    # When it posts with the real token (no cookies)
    done = page(url_event("unsubscribe", "POST", token, body=ONE_CLICK, content_type=FORM))
    # Then 200, no redirect, and the contact is unsubscribed at once
    assert done["statusCode"] == 200
    assert "Location" not in done["headers"] and "location" not in done["headers"]
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": True}
    # And the next nurture send is skipped
    body = json.dumps({"send_id": uuid.uuid4().hex, "contact_id": contact_id, "campaign": "Nurture P2", "step": 2})
    record = {**sample_event("infosite/send_nurture_email.json")["Records"][0], "body": body}
    lambdas.invoke("NurtureSenderFunction", {"Records": [record]})
    assert len(mail_to(f"{contact_id}@example.com")) == 1


def test_one_click_as_multipart_form_data_also_unsubscribes(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    token, _ = nurture_links(lambdas, contact_id)
    body = '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    answer = lambdas.invoke(
        "UnsubscribeFunction",
        url_event("unsubscribe", "POST", token, body=body, content_type="multipart/form-data; boundary=XyZ"),
    )
    assert answer["statusCode"] == 200
    assert contact(stack, contact_id)["unsubscribed"] == {"BOOL": True}


def test_an_expired_unsubscribe_link_is_410_and_says_what_to_do(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("u")
    upsert(lambdas, contact_id)
    page = lambdas.handler("UnsubscribeFunction")
    from portal_common.links import sign_link

    expired = sign_link("unsubscribe", contact_id, -10)
    answer = page(url_event("unsubscribe", "GET", expired))
    assert answer["statusCode"] == 410
    assert "unsubscribe link in our most recent email" in answer["body"]


# -- quote form --------------------------------------------------------------------------------
def quote_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Pat Prospect",
        "email": "pat@example.com",
        "phone": "+1 555 0100",
        "company": "Prospect Homes",
        "needs": "The drive is cracked; I would like it resurfaced.",
        "contact_by": "phone",
        "best_time": "weekday mornings",
        **overrides,
    }


def form_post(page: Any, token: str, fields: dict[str, str]) -> dict[str, Any]:
    """The form's POST as the browser sends it after opening the link (CSRF cookie and field)."""
    cookies, csrf_token = csrf_of(page(url_event("quote_request", "GET", token)))
    body = urlencode({**fields, "csrf_token": csrf_token})
    return url_event("quote_request", "POST", token, body=body, content_type=FORM, cookies=cookies)


def submit(page: Any, token: str, fields: dict[str, str]) -> dict[str, Any]:
    return page(form_post(page, token, fields))


def alert_records(stack: Stack, contact_id: str) -> dict[str, Any]:
    """The contact's quote events as the outbox stream hands them to the alert mailer (its filter)."""
    records = outbox_stream_event(stack, "QuoteAlertFunction")["Records"]
    return {"Records": [r for r in records if f"contact:{contact_id}" in r["dynamodb"]["NewImage"]["event"]["S"]]}


def run_alert_mailer(stack: Stack, lambdas: LambdaHarness, contact_id: str) -> None:
    records = alert_records(stack, contact_id)
    assert records["Records"], "no quote event on the stream"
    assert lambdas.invoke("QuoteAlertFunction", records) == {"batchItemFailures": []}


def test_the_quote_form_is_prefilled_from_the_contact(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id, name="Ann O'Brien", phone="+1 555 0199", company="Acme & Sons")
    _, token = nurture_links(lambdas, contact_id)
    answer = lambdas.invoke("QuoteFunction", url_event("quote_request", "GET", token))
    assert answer["statusCode"] == 200
    html = answer["body"]
    for value in ("Ann O&#39;Brien", f"{contact_id}@example.com", "+1 555 0199", "Acme &amp; Sons"):
        assert f'value="{value}"' in html
    assert '<label for="needs">' in html


def test_a_prospect_quote_creates_a_lead_updates_the_contact_and_alerts_the_fallback_list(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id)
    _, token = nurture_links(lambdas, contact_id)
    page = lambdas.handler("QuoteFunction")
    # When the prospect submits the form with a corrected phone and company
    answer = submit(page, token, quote_form(email=f"{contact_id}@example.com", company="New Homes Ltd"))
    # Then the thank-you page says what happens next
    assert answer["statusCode"] == 200
    assert "What happens next" in answer["body"] and "call you" in answer["body"]
    # And the contact record is updated
    stored = contact(stack, contact_id)
    assert stored["company"] == {"S": "New Homes Ltd"} and stored["phone"] == {"S": "+1 555 0100"}
    # And the CRM gets a lead (a prospect asked), the contact update and the activity
    told = {e["type"]: e for e in events_about(stack, contact_id)}
    assert {"lead.created_from_quote", "contact.updated", "activity"} <= set(told)
    assert "opportunity.created_from_quote" not in told
    lead = told["lead.created_from_quote"]
    assert lead["actor"]["label"] == "external user"
    assert lead["data"]["request"]["needs"].startswith("The drive is cracked")
    assert lead["data"]["assigned_to"] == ["sales-desk@example.com"]
    assert told["activity"]["data"]["action"] == "requested_quote"
    # And when the alert mailer reads the event from the stream, the fallback list is alerted (no owner)
    run_alert_mailer(stack, lambdas, contact_id)
    (alert,) = [m for m in mail_to("sales-desk@example.com") if contact_id in str(m["Reply-To"])]
    assert "New lead" in alert["Subject"] and alert["Reply-To"] == f"{contact_id}@example.com"
    text = str(alert.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "New Homes Ltd" in text and "The drive is cracked" in text


def test_a_customer_quote_creates_an_opportunity_and_alerts_the_owner(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    owner = f"am-{contact_id}@example.com"
    upsert(lambdas, contact_id, kind="customer", owner=owner)
    _, token = nurture_links(lambdas, contact_id)
    answer = submit(lambdas.handler("QuoteFunction"), token, quote_form(email=f"{contact_id}@example.com"))
    assert answer["statusCode"] == 200
    types = [e["type"] for e in events_about(stack, contact_id)]
    assert "opportunity.created_from_quote" in types and "lead.created_from_quote" not in types
    # The answer did not wait for the alert: the mailer sends it from the stream
    assert mail_to(owner) == []
    run_alert_mailer(stack, lambdas, contact_id)
    (alert,) = mail_to(owner)
    assert "New opportunity" in alert["Subject"]


def test_submitting_twice_creates_one_request_and_one_alert(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    owner = f"am-{contact_id}@example.com"
    upsert(lambdas, contact_id, owner=owner)
    _, token = nurture_links(lambdas, contact_id)
    page = lambdas.handler("QuoteFunction")
    # When the same form is submitted twice (a double click, or the browser's back and resend)
    post = form_post(page, token, quote_form(email=f"{contact_id}@example.com"))
    first, second = page(post), page(post)
    # Then both thank the contact, the second saying it was received already
    assert first["statusCode"] == second["statusCode"] == 200
    assert "already received" in second["body"] and "already received" not in first["body"]
    # And there is one lead, and one alert however often the stream delivers its event
    assert [e["type"] for e in events_about(stack, contact_id)].count("lead.created_from_quote") == 1
    run_alert_mailer(stack, lambdas, contact_id)
    run_alert_mailer(stack, lambdas, contact_id)
    assert len(mail_to(owner)) == 1
    # And opening the link again shows the thank-you page, not the form
    again = page(url_event("quote_request", "GET", token))
    assert "already received" in again["body"] and 'name="needs"' not in again["body"]


def test_an_alert_that_fails_is_retried_from_the_stream_and_sent_once(stack: Stack, lambdas: LambdaHarness) -> None:
    # Given a submitted quote whose event is on the outbox stream
    contact_id = unique("q")
    owner = f"am-{contact_id}@example.com"
    upsert(lambdas, contact_id, kind="customer", owner=owner)
    _, token = nurture_links(lambdas, contact_id)
    assert (
        submit(lambdas.handler("QuoteFunction"), token, quote_form(email=f"{contact_id}@example.com"))["statusCode"]
        == 200
    )
    records = alert_records(stack, contact_id)
    (record,) = records["Records"]
    mailer = lambdas.handler("QuoteAlertFunction")
    # When SES is unavailable as the mailer sends the alert
    with Stubber(aws.client("sesv2")) as ses_down:
        ses_down.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        answer = mailer(records)
    # Then the record is reported failed, so the stream delivers it again, and nothing was mailed
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert mail_to(owner) == []
    # When the stream delivers it again, twice
    assert mailer(records) == {"batchItemFailures": []}
    assert mailer(records) == {"batchItemFailures": []}
    # Then the owner got exactly one alert
    (alert,) = mail_to(owner)
    assert "New opportunity" in alert["Subject"]


def test_an_invalid_quote_form_shows_each_error_beside_its_field(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id)
    _, token = nurture_links(lambdas, contact_id)
    answer = submit(lambdas.handler("QuoteFunction"), token, quote_form(email="nope", needs="", phone=""))
    assert answer["statusCode"] == 422
    html = answer["body"]
    assert 'id="email-error"' in html and 'id="needs-error"' in html and 'id="phone-error"' in html
    assert "Please give a phone number so we can call you." in html
    assert 'value="nope"' in html  # what was typed is kept
    assert [e["type"] for e in events_about(stack, contact_id)] == ["contact.synced"]


def test_a_tampered_quote_link_is_refused(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id)
    _, token = nurture_links(lambdas, contact_id)
    answer = lambdas.invoke("QuoteFunction", url_event("quote_request", "GET", tampered(token)))
    assert answer["statusCode"] == 403


def test_an_api_client_gets_the_receipt_as_json(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id, kind="customer")
    _, token = nurture_links(lambdas, contact_id)
    event = url_event(
        "quote_request",
        "POST",
        token,
        body=json.dumps(quote_form(email=f"{contact_id}@example.com", contact_by="email")),
        content_type="application/json",
        accept="application/json",
    )
    answer = lambdas.invoke("QuoteFunction", event)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {
        "record": "opportunity",
        "contact_by": "email",
        "best_time": "weekday mornings",
        "by_account_manager": False,
        "already_received": False,
    }


def test_two_submits_racing_past_the_check_still_create_one_request(
    stack: Stack, lambdas: LambdaHarness, monkeypatch: Any
) -> None:
    contact_id = unique("q")
    upsert(lambdas, contact_id)
    _, token = nurture_links(lambdas, contact_id)
    page = lambdas.handler("QuoteFunction")
    import sys

    store = sys.modules["infosite.contact_store"]
    real_get_quote, calls = store.get_quote, {"n": 0}

    def racing_get_quote(*args: Any) -> Any:  # both submits read "nothing yet" before either commits
        calls["n"] += 1
        return None if calls["n"] <= 3 else real_get_quote(*args)  # the GET, then each submit's check

    monkeypatch.setattr(store, "get_quote", racing_get_quote)
    post = form_post(page, token, quote_form(email=f"{contact_id}@example.com"))
    first, second = page(post), page(post)
    # Then the conditional put lets one through: one lead, and the second is told it was received
    assert first["statusCode"] == second["statusCode"] == 200
    assert "already received" in second["body"]
    assert calls["n"] == 4  # the second submit went through the transaction and lost
    assert [e["type"] for e in events_about(stack, contact_id)].count("lead.created_from_quote") == 1


def test_every_info_site_event_matches_its_published_contract(stack: Stack, lambdas: LambdaHarness) -> None:
    from portal_common.crm_contracts import catalog

    contact_id = unique("k")
    upsert(lambdas, contact_id, kind="customer", owner="am@example.com")
    unsubscribe_token, quote_token = nurture_links(lambdas, contact_id)
    submit(lambdas.handler("QuoteFunction"), quote_token, quote_form(email=f"{contact_id}@example.com"))
    lambdas.invoke(
        "UnsubscribeFunction", url_event("unsubscribe", "POST", unsubscribe_token, body=ONE_CLICK, content_type=FORM)
    )
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    events = [json.loads(i["event"]["S"]) for i in items]
    mine = [e for e in events if e["subject"] == f"contact:{contact_id}"]
    types = {e["type"] for e in mine}
    assert {"contact.synced", "nurture.sent", "opportunity.created_from_quote", "contact.updated"} <= types
    assert {"contact.unsubscribed", "activity"} <= types
    contracts = catalog()
    for event in mine:
        contracts[event["type"]].model_validate(event["data"])  # raises if the data broke its contract
