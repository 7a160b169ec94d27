"""No committed record without its event: the outbox, its stream and the relay, against moto.

moto's in-process DynamoDB Streams API is not routed (its server mode is: the end-to-end tier
relays through the real stream), so here the stream's INSERT records are built from the outbox
items as DynamoDB Streams shapes them (NEW_IMAGE view).
"""

from typing import Any

import boto3
from botocore.stub import Stubber

from local.inprocess import LambdaHarness
from local.template import Stack
from portal_common import aws
from portal_common.events import Actor, CrmEvent
from portal_common.outbox import Transaction
from tests.support.outbox_stream import outbox_stream_event


def stream_event(stack: Stack) -> dict[str, Any]:
    return outbox_stream_event(stack, "OutboxRelayFunction")


def crm_queue_messages(stack: Stack) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    return sqs.receive_message(QueueUrl=stack.refs["CrmEventsQueue"], MaxNumberOfMessages=10).get("Messages", [])


def write_record_with_event(stack: Stack) -> CrmEvent:
    event = CrmEvent(type="rph.created", portal="partners", actor=Actor(kind="partner", id="p-1"), subject="rph:1")
    with Transaction() as tx:
        tx.put(stack.refs["IntakeTable"], {"pk": "RPH#1", "sk": "RECORD", "label": "external user"}, unique="pk")
        tx.event(event)
    return event


def test_with_sqs_down_the_record_stays_and_its_event_arrives_once_sqs_is_back(
    stack: Stack, lambdas: LambdaHarness
) -> None:
    relay = lambdas.handler("OutboxRelayFunction")
    # Given a record committed together with its event
    event = write_record_with_event(stack)
    stored = boto3.client("dynamodb").get_item(
        TableName=stack.refs["IntakeTable"], Key={"pk": {"S": "RPH#1"}, "sk": {"S": "RECORD"}}
    )
    assert "Item" in stored
    records = stream_event(stack)
    # When the relay runs while SQS is unavailable
    with Stubber(aws.client("sqs")) as sqs_down:
        sqs_down.add_client_error("send_message", service_error_code="ServiceUnavailable", http_status_code=503)
        answer = relay(records)
    # Then the record is reported failed (the stream retries it) and nothing reached the queue
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [
        records["Records"][0]["dynamodb"]["SequenceNumber"]
    ]
    assert crm_queue_messages(stack) == []
    # When the stream retries with SQS back
    assert relay(records) == {"batchItemFailures": []}
    # And the stream is replayed once more
    assert relay(records) == {"batchItemFailures": []}
    # Then the CRM queue holds the event exactly once
    messages = crm_queue_messages(stack)
    assert len(messages) == 1
    assert CrmEvent.model_validate_json(messages[0]["Body"]).event_id == event.event_id


def test_a_failed_condition_writes_neither_record_nor_event(stack: Stack, lambdas: LambdaHarness) -> None:
    lambdas.load("OutboxRelayFunction")  # its environment names the outbox table
    write_record_with_event(stack)
    from portal_common.errors import Conflict

    second = CrmEvent(type="rph.created", portal="partners", actor=Actor(kind="partner", id="p-1"), subject="rph:1")
    try:
        with Transaction() as tx:
            tx.put(stack.refs["IntakeTable"], {"pk": "RPH#1", "sk": "RECORD"}, unique="pk", on_conflict=Conflict("dup"))
            tx.event(second)
    except Conflict:
        pass
    else:
        raise AssertionError("the duplicate was written")
    items = boto3.client("dynamodb").scan(TableName=stack.refs["OutboxTable"])["Items"]
    assert len(items) == 1
