"""Info site, CRM side and sending: contacts upserted by the CRM, nurture emails queued and sent
(partial batches, RFC 8058 headers, no email to an unsubscribed contact), against moto."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from typing import Any

import boto3
from moto.ses.models import ses_backends

from local.template import ACCOUNT_ID, Stack
from tests.support.lambda_env import LambdaHarness, sample_event


# -- helpers -----------------------------------------------------------------------------------
def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def upsert(lambdas: LambdaHarness, contact_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Pat Prospect", "email": f"{contact_id}@example.com", "kind": "prospect", **fields}
    event = sample_event(
        "infosite/upsert_contact.json",
        rawPath=f"/crm/contacts/{contact_id}",
        pathParameters={"contact_id": contact_id},
        body=json.dumps(body),
    )
    event["requestContext"]["http"]["path"] = f"/crm/contacts/{contact_id}"
    return lambdas.invoke("UpsertContactFunction", event)


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    record = sample_event("infosite/send_nurture_email.json")["Records"][0]
    return {**record, "messageId": message_id or str(uuid.uuid4()), "body": body}


def send_request(contact_id: str, step: int = 1, send_id: str | None = None) -> str:
    return json.dumps(
        {"send_id": send_id or uuid.uuid4().hex, "contact_id": contact_id, "campaign": "Nurture P2", "step": step}
    )


def sent_mail() -> list[email.message.EmailMessage]:
    backend = ses_backends[ACCOUNT_ID]["us-east-1"]
    return [
        email.message_from_string(m.raw_data, policy=email.policy.default)  # type: ignore[misc]
        for m in backend.sent_messages
        if hasattr(m, "raw_data")
    ]


def mail_to(address: str) -> list[email.message.EmailMessage]:
    return [m for m in sent_mail() if address in str(m["To"])]


def outbox_events(stack: Stack) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    return [json.loads(item["event"]["S"]) for item in items]


def contact_item(stack: Stack, contact_id: str, sk: str = "CONTACT") -> dict[str, Any] | None:
    return (
        boto3.client("dynamodb")
        .get_item(TableName=stack.refs["ContactsTable"], Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": sk}})
        .get("Item")
    )


def body_of(message: email.message.EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


# -- the CRM's routes --------------------------------------------------------------------------
def test_the_crm_upserts_a_contact_and_the_event_goes_with_it(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    # When the CRM puts a customer with an owner
    answer = upsert(lambdas, contact_id, kind="customer", owner="am@example.com", phone="+1 555 0101")
    # Then the contact is stored and returned, subscribed
    assert answer["statusCode"] == 200
    view = json.loads(answer["body"])
    assert view["kind"] == "customer" and view["owner"] == "am@example.com" and view["unsubscribed"] is False
    assert contact_item(stack, contact_id)["phone"]["S"] == "+1 555 0101"
    # And its event is in the outbox
    assert [e["type"] for e in outbox_events(stack) if e["subject"] == f"contact:{contact_id}"] == ["contact.synced"]


def test_an_upsert_never_resubscribes_a_contact(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    upsert(lambdas, contact_id)
    boto3.client("dynamodb").update_item(
        TableName=stack.refs["ContactsTable"],
        Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}},
        UpdateExpression="SET unsubscribed = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    # When the CRM upserts the contact again, without a phone now
    view = json.loads(upsert(lambdas, contact_id, name="Pat Renamed")["body"])
    # Then the name changed and the contact stays unsubscribed
    assert view["name"] == "Pat Renamed" and view["unsubscribed"] is True


def test_a_bad_upsert_is_refused_with_field_errors(stack: Stack, lambdas: LambdaHarness) -> None:
    answer = upsert(lambdas, unique("c"), kind="friend", email="not-an-email")
    assert answer["statusCode"] == 422
    fields = json.loads(answer["body"])["error"]["fields"]
    assert {"kind", "email"} <= set(fields)


def test_queueing_a_nurture_email_puts_one_send_request_on_the_queue(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    upsert(lambdas, contact_id)
    event = sample_event("infosite/queue_nurture_email.json", body=json.dumps({"contact_id": contact_id, "step": 2}))
    # When the CRM orders step 2 for the contact
    answer = lambdas.invoke("QueueNurtureEmailFunction", event)
    # Then it is accepted, and the queue holds the send request
    assert answer["statusCode"] == 202
    queued = json.loads(answer["body"])
    messages = boto3.client("sqs").receive_message(QueueUrl=stack.refs["NurtureQueue"], MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages["Messages"]]
    assert bodies == [{"send_id": queued["send_id"], "contact_id": contact_id, "campaign": "Nurture P2", "step": 2}]


def test_queueing_for_an_unknown_contact_is_a_404(stack: Stack, lambdas: LambdaHarness) -> None:
    event = sample_event("infosite/queue_nurture_email.json", body=json.dumps({"contact_id": "nobody", "step": 1}))
    answer = lambdas.invoke("QueueNurtureEmailFunction", event)
    assert answer["statusCode"] == 404
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=stack.refs["NurtureQueue"])


# -- the sender --------------------------------------------------------------------------------
def test_a_batch_with_a_poison_message_sends_the_rest_and_reports_only_the_failures(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    good = unique("c")
    upsert(lambdas, good)
    records = [
        sqs_record("{not json", "poison-1"),
        sqs_record(send_request(good), "good-1"),
        sqs_record(send_request("no-such-contact"), "unknown-1"),
    ]
    # When the sender gets the batch
    answer = lambdas.invoke("NurtureSenderFunction", {"Records": records})
    # Then only the poison and the unknown contact are reported (they retry, then go to the DLQ)
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["poison-1", "unknown-1"]
    # And the good one went out
    assert len(mail_to(f"{good}@example.com")) == 1
    assert sorted(e["type"] for e in outbox_events(stack) if e["subject"] == f"contact:{good}") == [
        "contact.synced",
        "nurture.sent",
    ]


def test_a_nurture_email_has_both_links_and_the_rfc_8058_headers(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    upsert(lambdas, contact_id, name="Ann O'Brien & Co")
    lambdas.invoke("NurtureSenderFunction", {"Records": [sqs_record(send_request(contact_id))]})
    (message,) = mail_to(f"{contact_id}@example.com")
    unsubscribe_base = stack.attrs["UnsubscribeFunctionUrl"]["FunctionUrl"]
    quote_base = stack.attrs["QuoteFunctionUrl"]["FunctionUrl"]
    # Then List-Unsubscribe is the unsubscribe function URL with a token, and one-click is announced
    assert message["List-Unsubscribe"].startswith(f"<{unsubscribe_base}?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # And both parts carry both links; the text part is not HTML-escaped, the HTML part is
    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    text, html = body_of(message, "plain"), body_of(message, "html")
    assert unsubscribe_url in text and f"{quote_base}?token=" in text and "Ann O'Brien & Co" in text
    assert unsubscribe_url in html and f"{quote_base}?token=" in html and "Ann O&#39;Brien &amp; Co" in html
    # And the send is recorded
    sends = boto3.client("dynamodb").query(
        TableName=stack.refs["ContactsTable"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :send)",
        ExpressionAttributeValues={":pk": {"S": f"CONTACT#{contact_id}"}, ":send": {"S": "SEND#"}},
    )["Items"]
    assert [s["status"]["S"] for s in sends] == ["sent"]


def test_an_unsubscribed_contact_is_skipped_at_send_time(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    upsert(lambdas, contact_id)
    boto3.client("dynamodb").update_item(
        TableName=stack.refs["ContactsTable"],
        Key={"pk": {"S": f"CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}},
        UpdateExpression="SET unsubscribed = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    send_id = uuid.uuid4().hex
    # When a send request for the contact arrives
    answer = lambdas.invoke(
        "NurtureSenderFunction", {"Records": [sqs_record(send_request(contact_id, send_id=send_id))]}
    )
    # Then it succeeds without an email, and the skip is recorded and told to the CRM
    assert answer == {"batchItemFailures": []}
    assert mail_to(f"{contact_id}@example.com") == []
    record = contact_item(stack, contact_id, f"SEND#{send_id}")
    assert record["status"]["S"] == "skipped" and record["reason"]["S"] == "unsubscribed"
    skipped = [e for e in outbox_events(stack) if e["type"] == "nurture.skipped"]
    assert [e["data"]["send_id"] for e in skipped] == [send_id]


def test_a_redelivered_send_request_is_not_sent_twice(stack: Stack, lambdas: LambdaHarness) -> None:
    contact_id = unique("c")
    upsert(lambdas, contact_id)
    sender = lambdas.handler("NurtureSenderFunction")
    body = send_request(contact_id)
    # When SQS delivers the same message twice
    sender({"Records": [sqs_record(body)]})
    sender({"Records": [sqs_record(body)]})
    # Then one email went out
    assert len(mail_to(f"{contact_id}@example.com")) == 1
