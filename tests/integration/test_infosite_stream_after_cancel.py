"""A quote submit that loses the race cancels its transaction: that must leave no stream record, so
the relay neither sends its events (never committed) nor misses the ones written after it.

moto rolls a cancelled transaction back by swapping in a copy of the table, stranding open shard
iterators on the old stream shard; local/moto_fixes.py (applied by the embedded AWS) repairs that.
This runs moto's server in-process, as the local stack does (in-process mocks route no streams).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from local import moto_fixes
from tests.support.local_stack import free_port


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Any]]:
    moto_fixes.apply()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"}
    try:
        yield boto3.client("dynamodb", **options), boto3.client("dynamodbstreams", **options)
    finally:
        server.stop()


TABLE = f"outbox-{uuid.uuid4().hex[:8]}"  # the in-process server shares moto's state with other tests


def put(key: str, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": TABLE, "Item": {"pk": {"S": key}}}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def test_a_cancelled_transaction_leaves_no_stream_record_and_later_ones_are_read(dynamodb: tuple[Any, Any]) -> None:
    ddb, streams = dynamodb
    arn = ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "QUOTE#1"}})
    # When a transaction fails its condition after other puts in it were applied
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[put("QUOTE#1", "attribute_not_exists(pk)"), put("EVENT#phantom")])
    # And a later write commits
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "EVENT#later"}})
    # Then the open iterator reads the committed records only
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=iterator)["Records"]]
    assert keys == ["QUOTE#1", "EVENT#later"]
