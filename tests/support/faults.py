"""AWS faults injected in-process at the botocore level, against moto; and the world's state around them.

Every AWS call a handler makes goes through ``botocore.client.BaseClient._make_api_call``, whoever
made the client (the layer's ``portal_common.aws``, Powertools' parameters and idempotency). While an
``AwsCalls`` is active that method is wrapped: each call is recorded as ``<service>.<Operation>``, and
the call chosen as the target (the n-th call of one operation) and every later call of that operation
fails with the chosen ``Fault`` instead of reaching moto. The wrapper sits above botocore's retry
handler, so the caller sees what it would see once botocore's own retries (portal_common.aws: standard
mode, 3 attempts) are used up: the fault is persistent for the call, an outage rather than a blip.

``WorldState`` is what a request can change: every DynamoDB item of the template's tables, every S3
object, the messages waiting in every queue, the emails SES sent and the Cognito users, read from
moto's in-memory backends (moto is pinned). Two states subtract to a ``Delta``, whose ``signature``
(shapes and counts, no ids or times) compares a faulted request plus its retry with a clean one.
``empty_world`` deletes all of it between tests.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account; the tests' region
# A fault's message names internals on purpose: none of it may reach the caller.
CANARY = "fault-canary arn:aws:dynamodb:us-east-1:123456789012:table/internal-secret-table"


@dataclass(frozen=True, order=True)
class Call:
    service: str  # botocore's service name: dynamodb, s3, sesv2, sqs, cognito-idp, secretsmanager
    operation: str  # the API operation: TransactWriteItems, PutObject, SendEmail, ...

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass(frozen=True)
class Fault:
    """One way AWS fails: an error answer (ClientError with ``code`` and HTTP ``status``) or a
    transport failure (``transport``: a botocore timeout or connection error)."""

    kind: str
    code: str = ""
    status: int = 0
    transport: type[Exception] | None = None
    reasons: tuple[str, ...] = ()  # TransactionCanceledException: CancellationReasons codes

    def exception(self, client: Any, call: Call) -> Exception:
        if self.transport is not None:
            return self.transport(endpoint_url=f"https://{call.service}.{REGION}.amazonaws.com", error=CANARY)
        response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": CANARY},
            "ResponseMetadata": {
                "HTTPStatusCode": self.status,
                "RequestId": "FAULT0REQUEST0ID",
                "HTTPHeaders": {},
                "RetryAttempts": 2,
            },
        }
        if self.reasons:
            response["CancellationReasons"] = [{"Code": code, "Message": CANARY} for code in self.reasons]
        error_class = client.exceptions.from_code(self.code)  # the modeled class, as botocore raises it
        return error_class(response, call.operation)


_TIMEOUTS = (
    Fault("read_timeout", transport=ReadTimeoutError),
    Fault("connect_timeout", transport=ConnectTimeoutError),
    Fault("unreachable", transport=EndpointConnectionError),
)
# Per service: the throttling and server-side codes it really answers with, then the timeouts.
SERVICE_FAULTS: dict[str, tuple[Fault, ...]] = {
    "dynamodb": (
        Fault("throttle", "ThrottlingException", 400),
        Fault("provisioned_throughput", "ProvisionedThroughputExceededException", 400),
        Fault("internal_error", "InternalServerError", 500),
        Fault("unavailable", "ServiceUnavailable", 503),
        *_TIMEOUTS,
    ),
    "s3": (
        Fault("slow_down", "SlowDown", 503),
        Fault("internal_error", "InternalError", 500),
        Fault("unavailable", "ServiceUnavailable", 503),
        *_TIMEOUTS,
    ),
    "sesv2": (
        Fault("throttle", "TooManyRequestsException", 429),
        Fault("internal_error", "InternalFailure", 500),
        Fault("unavailable", "ServiceUnavailable", 503),
        *_TIMEOUTS,
    ),
    "sqs": (
        Fault("throttle", "ThrottlingException", 400),
        Fault("internal_error", "InternalError", 500),
        Fault("unavailable", "ServiceUnavailable", 503),
        *_TIMEOUTS,
    ),
    "cognito-idp": (
        Fault("throttle", "TooManyRequestsException", 400),
        Fault("internal_error", "InternalErrorException", 500),
        *_TIMEOUTS,
    ),
    "secretsmanager": (
        Fault("throttle", "ThrottlingException", 400),
        Fault("internal_error", "InternalServiceError", 500),
        *_TIMEOUTS,
    ),
}
# DynamoDB transactions fail as a whole: cancelled because one of their items was throttled.
TRANSACTION_FAULTS = (
    Fault("tx_throttled", "TransactionCanceledException", 400, reasons=("None", "ThrottlingError")),
    Fault("tx_conflict", "TransactionCanceledException", 400, reasons=("TransactionConflict", "None")),
)


def faults_for(call: Call) -> tuple[Fault, ...]:
    """Every fault kind ``call`` can meet (its service's, plus cancelled transactions)."""
    kinds = SERVICE_FAULTS.get(call.service, (Fault("internal_error", "InternalFailure", 500), *_TIMEOUTS))
    if call == Call("dynamodb", "TransactWriteItems"):
        kinds = (*TRANSACTION_FAULTS, *kinds)
    return kinds


@dataclass(frozen=True)
class Target:
    """The ``nth`` call (1-based) of ``call`` fails with ``fault``, and so does every later one."""

    call: Call
    nth: int
    fault: Fault


class AwsCalls:
    """Records the AWS calls made inside ``active()``; fails the target's, if one is given."""

    def __init__(self, target: Target | None = None) -> None:
        self.target = target
        self.calls: list[Call] = []
        self.injected = 0

    @contextmanager
    def active(self) -> Iterator[AwsCalls]:
        original = BaseClient._make_api_call
        recorder = self

        def make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            call = Call(client.meta.service_model.service_name, operation_name)
            recorder.calls.append(call)
            target = recorder.target
            if target is not None and call == target.call and recorder.calls.count(call) >= target.nth:
                recorder.injected += 1
                raise target.fault.exception(client, call)
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


def numbered(calls: list[Call]) -> list[tuple[Call, int]]:
    """Each call with its occurrence number: [(GetItem, 1), (TransactWriteItems, 1), (GetItem, 2)]."""
    seen: Counter[Call] = Counter()
    out = []
    for call in calls:
        seen[call] += 1
        out.append((call, seen[call]))
    return out


def label(call: Call, nth: int) -> str:
    return str(call) if nth == 1 else f"{call}#{nth}"


# -- the world's state ------------------------------------------------------------------------------
_VOLATILE = re.compile(r"[0-9a-f]{8,}|\d+", re.IGNORECASE)


def shape(key: str) -> str:
    """A key without its ids: ``LEAD#ann@x.com`` -> ``LEAD#``, ``receipts/INV-1/ch_9.pdf`` -> ``receipts/``."""
    for sep in ("#", "/"):
        if sep in key:
            return _VOLATILE.sub("*", key.split(sep, 1)[0]) + sep
    return _VOLATILE.sub("*", key)


_KEYS: dict[str, list[str]] = {}  # table -> its key attributes (hash, then range)
_CLIENTS: dict[tuple[int, str], Any] = {}  # (stack, service) -> the test's own client (making one takes long)


def account_client(stack: Any, service: str) -> Any:
    if (id(stack), service) not in _CLIENTS:
        _CLIENTS[(id(stack), service)] = boto3.client(service)
    return _CLIENTS[(id(stack), service)]


def _key_names(ddb: Any, table: str) -> list[str]:
    if table not in _KEYS:
        schema = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
        _KEYS[table] = [k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"] != "HASH")]
    return _KEYS[table]


def _item_key(item: dict[str, Any], names: list[str]) -> tuple[str, str]:
    def text(value: dict[str, Any] | None) -> str:
        return "" if value is None else str(next(iter(value.values())))

    hash_key, range_key = [*names, ""][:2]
    return text(item.get(hash_key)), text(item.get(range_key)) if range_key else ""


@dataclass
class WorldState:
    items: dict[str, dict[tuple[str, str], dict[str, Any]]]  # table -> key -> item
    objects: dict[str, dict[str, str]]  # bucket -> key -> etag
    queued: dict[str, int]  # queue -> messages waiting or in flight
    emails: list[str]  # every raw email SES sent
    users: dict[str, dict[str, bool]]  # pool -> username -> enabled

    @classmethod
    def read(cls, stack: Any) -> WorldState:
        """Read from moto's in-memory backends (pinned moto): a few milliseconds, where the same through
        the API (scans, listings) takes a tenth of a second a time, three times a cell."""
        from moto.cognitoidp.models import cognitoidp_backends
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        from moto.sqs.models import sqs_backends

        items: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        tables = dynamodb_backends[ACCOUNT][REGION].tables
        for logical_id in stack.of_type("AWS::DynamoDB::Table"):
            table = tables[stack.refs[logical_id]]
            names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
            found = [item.to_json()["Attributes"] for item in table.all_items()]
            items[logical_id] = {_item_key(item, names): item for item in found}
        buckets = s3_backends[ACCOUNT]["global"].buckets
        objects = {
            logical_id: {key: obj.etag for key, obj in buckets[stack.refs[logical_id]].keys.items()}
            for logical_id in stack.of_type("AWS::S3::Bucket")
        }
        queues = sqs_backends[ACCOUNT][REGION].queues
        queued = {
            logical_id: len(queues[stack.refs[logical_id].rsplit("/", 1)[1]]._messages)
            for logical_id in stack.of_type("AWS::SQS::Queue")
        }
        pools = cognitoidp_backends[ACCOUNT][REGION].user_pools
        users = {
            logical_id: {name: bool(user.enabled) for name, user in pools[stack.refs[logical_id]].users.items()}
            for logical_id in stack.of_type("AWS::Cognito::UserPool")
            if stack.refs.get(logical_id) in pools
        }
        return cls(items, objects, queued, _sent_emails(), users)

    def outbox_events(self) -> list[dict[str, Any]]:
        return [json.loads(item["event"]["S"]) for item in self.items.get("OutboxTable", {}).values()]


def empty_world(stack: Any) -> None:
    """Delete what requests wrote (items, objects, queued messages, sent emails, users), keeping the
    resources: each cell starts from an empty account."""
    from moto.ses.models import ses_backends

    ddb, s3, sqs, idp = (account_client(stack, service) for service in ("dynamodb", "s3", "sqs", "cognito-idp"))
    state = WorldState.read(stack)
    for logical_id, items in state.items.items():
        table = stack.refs[logical_id]
        names = _key_names(ddb, table)
        keys = [{name: item[name] for name in names} for item in items.values()]
        for start in range(0, len(keys), 25):
            batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            ddb.batch_write_item(RequestItems={table: batch})
    for logical_id, objects in state.objects.items():
        keys = [{"Key": key} for key in objects]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=stack.refs[logical_id], Delete={"Objects": keys[start : start + 1000]})
    for logical_id, count in state.queued.items():  # received and deleted (a purge is once a minute)
        url = stack.refs[logical_id]
        while count and (messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")):
            entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    ses_backends[ACCOUNT][REGION].sent_messages.clear()
    for logical_id, users in state.users.items():
        for username in users:
            idp.admin_delete_user(UserPoolId=stack.refs[logical_id], Username=username)


def _sent_emails() -> list[str]:
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT][REGION]
    return [str(getattr(m, "raw_data", "") or getattr(m, "body", "")) for m in backend.sent_messages]


def event_name(event: dict[str, Any]) -> str:
    """An outbox event as the CRM tells it apart: its type (an activity: with its action)."""
    if event.get("type") == "activity":
        return f"activity:{(event.get('data') or {}).get('action')}"
    return str(event.get("type"))


@dataclass
class Delta:
    """What changed between two states, by table/bucket/queue; ``signature`` drops ids and times."""

    added: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    changed: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    removed: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    objects_added: dict[str, list[str]] = field(default_factory=dict)
    objects_removed: dict[str, list[str]] = field(default_factory=dict)
    queued: dict[str, int] = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    users_added: list[str] = field(default_factory=list)
    users_changed: list[str] = field(default_factory=list)

    @classmethod
    def between(cls, before: WorldState, after: WorldState) -> Delta:
        delta = cls()
        for table, items in after.items.items():
            old = before.items.get(table, {})
            added = [k for k in items if k not in old]
            changed = [k for k in items if k in old and items[k] != old[k]]
            removed = [k for k in old if k not in items]
            if table == "OutboxTable":
                delta.events = [json.loads(items[k]["event"]["S"]) for k in added]
                # the relay marks events relayed: that is a change worth seeing too
                changed_status = [k for k in changed if items[k].get("status") != old[k].get("status")]
                if changed_status:
                    delta.changed[table] = changed_status
                continue
            for name, keys in (("added", added), ("changed", changed), ("removed", removed)):
                if keys:
                    getattr(delta, name)[table] = keys
        for bucket, objects in after.objects.items():
            old_objects = before.objects.get(bucket, {})
            added_objects = [k for k in objects if k not in old_objects]
            removed_objects = [k for k in old_objects if k not in objects]
            if added_objects:
                delta.objects_added[bucket] = added_objects
            if removed_objects:
                delta.objects_removed[bucket] = removed_objects
        delta.queued = {q: n - before.queued.get(q, 0) for q, n in after.queued.items() if n != before.queued.get(q, 0)}
        delta.emails = after.emails[len(before.emails) :]
        for pool, users in after.users.items():
            old_users = before.users.get(pool, {})
            delta.users_added += [f"{pool}:{u}" for u in users if u not in old_users]
            delta.users_changed += [f"{pool}:{u}" for u in users if u in old_users and users[u] != old_users[u]]
        return delta

    def record_writes(self, bookkeeping: frozenset[str] = frozenset()) -> list[str]:
        """Every table item written, other than the outbox's and ``bookkeeping`` tables'."""
        return [
            f"{kind} {table}:{shape(pk)}/{shape(sk)}"
            for kind, by_table in (("added", self.added), ("changed", self.changed), ("removed", self.removed))
            for table, keys in by_table.items()
            if table not in bookkeeping and table != "OutboxTable"
            for pk, sk in keys
        ]

    def is_empty(self) -> bool:
        return not any(
            (
                self.added,
                self.changed,
                self.removed,
                self.events,
                self.objects_added,
                self.objects_removed,
                self.queued,
                self.emails,
                self.users_added,
                self.users_changed,
            )
        )

    def signature(self) -> dict[str, Any]:
        """The delta as shapes and counts: what a retried request must end with, like a clean one."""
        return {
            "records": dict(sorted(Counter(self.record_writes()).items())),
            "events": dict(sorted(Counter(event_name(e) for e in self.events).items())),
            "relayed": len(self.changed.get("OutboxTable", [])),
            "objects": dict(
                sorted(
                    Counter(
                        f"{sign}{bucket}:{shape(k)}"
                        for sign, by_bucket in (("+", self.objects_added), ("-", self.objects_removed))
                        for bucket, keys in by_bucket.items()
                        for k in keys
                    ).items()
                )
            ),
            "queued": dict(sorted(self.queued.items())),
            "emails": len(self.emails),
            "users": {"added": len(self.users_added), "changed": len(self.users_changed)},
        }

    def plus(self, later: Delta) -> Delta:
        """This delta followed by ``later`` (the fault's, then the retry's)."""
        merged = Delta()
        for name in ("added", "changed", "removed", "objects_added", "objects_removed"):
            mine, theirs = getattr(self, name), getattr(later, name)
            getattr(merged, name).update({k: list(mine.get(k, [])) + list(theirs.get(k, [])) for k in {*mine, *theirs}})
        # an item added by the fault's request and changed by the retry is still one added item
        for table, keys in list(merged.changed.items()):
            kept = [k for k in keys if k not in merged.added.get(table, [])]
            merged.changed[table] = list(dict.fromkeys(kept))
            if not merged.changed[table]:
                del merged.changed[table]
        merged.events = self.events + later.events
        merged.queued = {q: self.queued.get(q, 0) + later.queued.get(q, 0) for q in {*self.queued, *later.queued}}
        merged.queued = {q: n for q, n in merged.queued.items() if n}
        merged.emails = self.emails + later.emails
        merged.users_added = self.users_added + later.users_added
        merged.users_changed = list(dict.fromkeys(self.users_changed + later.users_changed))
        return merged
