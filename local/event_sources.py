"""Deliver the template's event sources to their functions, as Lambda's pollers do.

- SQS: batches of up to BatchSize; with ReportBatchItemFailures only the failed messages stay on
  the queue (partial batch), otherwise a function error keeps the whole batch; redrive to the DLQ
  is the queue's own RedrivePolicy (moto implements maxReceiveCount).
- DynamoDB streams: records in order per shard, FilterCriteria (Lambda's event filtering: exact
  values, nested fields, prefix, anything-but, exists; a rule beyond these stops the stack at
  start rather than be ignored), retries of a failed
  batch (from the first failed record with ReportBatchItemFailures) up to MaximumRetryAttempts.
- S3: moto cannot notify Lambda, so the bucket notifies a local bridge queue and its S3 event
  records are handed to the function as Lambda would.
- Schedule: rate(...) expressions run the function on that rate.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from local.functions import FunctionRunner, FunctionSpec, InvocationError
from local.template import ACCOUNT_ID, Stack

LOG = logging.getLogger("local.events")


class EventSources:
    def __init__(
        self, stack: Stack, specs: dict[str, FunctionSpec], runner: FunctionRunner, clients: Callable[[str], Any]
    ):
        self.stack = stack
        self.specs = specs
        self.runner = runner
        self.clients = clients
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.delivered = 0

    def start(self) -> list[str]:
        described = []
        for spec in self.specs.values():
            for event_name, event in spec.events.items():
                kind = event.get("Type")
                props = self.stack.resolve(event.get("Properties") or {})
                target: Callable[[], None] | None = None
                if kind == "SQS":
                    target = self._sqs_loop(spec, props)
                elif kind == "DynamoDB":
                    target = self._stream_loop(spec, props)
                elif kind == "S3":
                    target = self._s3_loop(spec, event_name, props)
                elif kind == "Schedule":
                    target = self._schedule_loop(spec, props)
                if target is None:
                    continue
                described.append(f"{kind}:{event_name} -> {spec.logical_id}")
                thread = threading.Thread(
                    target=self._guard(target), name=f"{spec.logical_id}.{event_name}", daemon=True
                )
                self.threads.append(thread)
                thread.start()
        return described

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=3)

    def _guard(self, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not self.stop.is_set():
                try:
                    loop()
                except Exception:  # a poller never dies: log, back off, poll again
                    if self.stop.is_set():
                        return
                    LOG.exception("event source poller failed; retrying")
                    self.stop.wait(1)

        return run

    # -- SQS ----------------------------------------------------------------------------------
    def _sqs_loop(self, spec: FunctionSpec, props: dict[str, Any]) -> Callable[[], None]:
        queue_arn = props["Queue"]
        queue_url = self._queue_url(queue_arn)
        batch_size = min(int(props.get("BatchSize", 10)), 10)
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        sqs = self.clients("sqs")

        def poll() -> None:
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=batch_size,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            records = [self._sqs_record(m, queue_arn) for m in messages]
            failed_ids = self._invoke_batch(spec, {"Records": records}, [r["messageId"] for r in records], partial)
            for message in messages:
                if message["MessageId"] in failed_ids:
                    # visible again soon, so retries (and the DLQ redrive) happen at local speed
                    sqs.change_message_visibility(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=1
                    )
                else:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

        return poll

    def _queue_url(self, queue_arn: str) -> str:
        name = queue_arn.rsplit(":", 1)[-1]
        return self.clients("sqs").get_queue_url(QueueName=name)["QueueUrl"]

    def _sqs_record(self, message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                k: {"stringValue": v.get("StringValue"), "dataType": v.get("DataType")}
                for k, v in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": self.stack.region,
        }

    def _invoke_batch(self, spec: FunctionSpec, event: dict[str, Any], ids: list[str], partial: bool) -> set[str]:
        """Invoke with a batch; returns the ids that failed (all of them on a function error)."""
        try:
            result = self.runner.call(spec.logical_id, event)
        except InvocationError as exc:
            LOG.warning("%s failed a batch of %d: %s", spec.logical_id, len(ids), exc)
            return set(ids)
        self.delivered += len(ids)
        if partial and isinstance(result, dict):
            return {f["itemIdentifier"] for f in result.get("batchItemFailures") or []}
        return set()

    # -- DynamoDB streams -----------------------------------------------------------------------
    def _stream_loop(self, spec: FunctionSpec, props: dict[str, Any]) -> Callable[[], None]:
        stream_arn = props["Stream"]
        batch_size = int(props.get("BatchSize", 100))
        max_retries = int(props.get("MaximumRetryAttempts", -1))
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        wanted = stream_filter(props.get("FilterCriteria"))
        streams = self.clients("dynamodbstreams")
        starting = props.get("StartingPosition", "LATEST")
        iterators: dict[str, str | None] = {}
        pending: list[dict[str, Any]] = []
        attempts = {"n": 0}

        def poll() -> None:
            shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                if shard["ShardId"] not in iterators:
                    iterators[shard["ShardId"]] = streams.get_shard_iterator(
                        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType=starting
                    )["ShardIterator"]
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                if not pending:
                    answer = streams.get_records(ShardIterator=iterator, Limit=batch_size)
                    iterators[shard_id] = answer.get("NextShardIterator")
                    for record in answer.get("Records", []):
                        shaped = self._stream_record(record, stream_arn)
                        if wanted(shaped):
                            pending.append(shaped)
                while pending:
                    batch = pending[:batch_size]
                    failed = self._invoke_batch(
                        spec, {"Records": batch}, [r["dynamodb"]["SequenceNumber"] for r in batch], partial
                    )
                    if not failed:
                        del pending[: len(batch)]
                        attempts["n"] = 0
                        continue
                    attempts["n"] += 1
                    if 0 <= max_retries < attempts["n"]:
                        LOG.error(
                            "%s: dropping %d stream records after %d retries", spec.logical_id, len(batch), max_retries
                        )
                        del pending[: len(batch)]
                        attempts["n"] = 0
                        continue
                    first = min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
                    del pending[:first]
                    self.stop.wait(min(0.5 * attempts["n"], 5))
                    return
            self.stop.wait(0.25)

        return poll

    def _stream_record(self, record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        out = dict(record)
        out["eventSourceARN"] = stream_arn
        out["awsRegion"] = self.stack.region
        dyn = dict(out.get("dynamodb") or {})
        if "ApproximateCreationDateTime" in dyn and not isinstance(dyn["ApproximateCreationDateTime"], (int, float)):
            dyn["ApproximateCreationDateTime"] = dyn["ApproximateCreationDateTime"].timestamp()
        out["dynamodb"] = dyn
        return out

    # -- S3 -------------------------------------------------------------------------------------
    def _s3_loop(self, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> Callable[[], None]:
        bucket = props["Bucket"]
        sqs = self.clients("sqs")
        bridge = sqs.create_queue(QueueName=f"local-s3-bridge-{spec.logical_id}-{event_name}")["QueueUrl"]
        bridge_arn = sqs.get_queue_attributes(QueueUrl=bridge, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
        config: dict[str, Any] = {"QueueArn": bridge_arn, "Events": events}
        if props.get("Filter"):  # SAM's S3Key.Rules is the S3 API's Key.FilterRules
            rules = (props["Filter"].get("S3Key") or {}).get("Rules") or []
            config["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
        s3 = self.clients("s3")
        existing = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [*existing, config]}
        )

        def poll() -> None:
            messages = sqs.receive_message(QueueUrl=bridge, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
            for message in messages:
                body = json.loads(message["Body"])
                records = body.get("Records") or []  # the first message is moto's s3:TestEvent
                if records:
                    try:
                        self.runner.call(spec.logical_id, {"Records": records})
                        self.delivered += len(records)
                    except InvocationError as exc:
                        LOG.warning("%s failed an S3 event: %s", spec.logical_id, exc)
                sqs.delete_message(QueueUrl=bridge, ReceiptHandle=message["ReceiptHandle"])

        return poll

    # -- Schedule -------------------------------------------------------------------------------
    def _schedule_loop(self, spec: FunctionSpec, props: dict[str, Any]) -> Callable[[], None] | None:
        match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", props.get("Schedule", ""))
        if not match or props.get("Enabled") is False:
            return None
        seconds = int(match.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]

        def tick() -> None:
            if self.stop.wait(seconds):
                return
            event = {
                "version": "0",
                "id": f"local-{time.time_ns()}",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": ACCOUNT_ID,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "region": self.stack.region,
                "resources": [],
                "detail": {},
            }
            try:
                self.runner.call(spec.logical_id, event)
            except InvocationError as exc:
                LOG.warning("%s scheduled run failed: %s", spec.logical_id, exc)

        return tick


# -- Lambda event filtering (the subset of its pattern rules this runner knows) ---------------------
_RULES = ("prefix", "anything-but", "exists")


def stream_filter(criteria: dict[str, Any] | None) -> Callable[[dict[str, Any]], bool]:
    """A record passes when any of the filters' patterns matches it (no filters: every record)."""
    patterns = [json.loads(flt["Pattern"]) for flt in (criteria or {}).get("Filters") or []]
    for pattern in patterns:
        _check_pattern(pattern)
    return lambda record: not patterns or any(_matches(p, record) for p in patterns)


def _check_pattern(pattern: dict[str, Any]) -> None:
    for value in pattern.values():
        if isinstance(value, dict):
            _check_pattern(value)
            continue
        for rule in value:
            if isinstance(rule, dict) and (len(rule) != 1 or next(iter(rule)) not in _RULES):
                raise ValueError(f"FilterCriteria rule {rule} is not supported by the local runner")


def _matches(pattern: dict[str, Any], data: Any) -> bool:
    """Every field of the pattern matches (a nested pattern: recursively; a list: any of its rules)."""
    if not isinstance(data, dict):
        return False
    for key, wanted in pattern.items():
        present = key in data
        value = data.get(key)
        if isinstance(wanted, dict):
            if not _matches(wanted, value):
                return False
        elif not any(_rule_matches(rule, present, value) for rule in wanted):
            return False
    return True


def _rule_matches(rule: Any, present: bool, value: Any) -> bool:
    if not isinstance(rule, dict):
        return present and value == rule
    ((name, arg),) = rule.items()
    if name == "exists":
        return present is bool(arg)
    if not present:
        return False
    if name == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    excluded = arg if isinstance(arg, list) else [arg]  # anything-but
    return value not in excluded
