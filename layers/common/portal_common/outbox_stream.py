"""Lambda handlers that read the outbox table's stream: one call per new outbox item, with a partial
batch response, so only the records that failed are retried (the stream keeps them until they pass).

    lambda_handler = outbox_consumer(handle)   # handle(OutboxRecord) raises to have it retried

Used by the CRM relay (every event) and by consumers that act on one event type, which their
template FilterCriteria select (e.g. the payments receipt mailer on card_payment.succeeded).

The partial batch response is built here, not by Powertools' batch utility: that utility imports
every one of Powertools' ~40 event data classes (and asyncio) whatever the source, about 15 ms of
the relay's cold start (``make bench``), which is what made the relay slower to start than its
Chalice peer. The loop it would run is the one below: every record is tried, each failure is
logged and reported by its sequence number, and the stream retries from the first one reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_common.dynamo import from_item
from portal_common.observability import logger, metrics, tracer


class OutboxRecord(NamedTuple):
    pk: str
    type: str
    event_json: str  # the CrmEvent envelope, as committed


def outbox_consumer(
    handle: Callable[[OutboxRecord], None],
) -> Callable[[dict[str, Any], LambdaContext], dict[str, list[dict[str, str]]]]:
    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
        failures: list[dict[str, str]] = []
        for record in event.get("Records") or []:
            change = record.get("dynamodb") or {}
            new_image = change.get("NewImage") or {}
            try:
                image = from_item(new_image)
                if "event" in image:  # else not an outbox event (a removal has no new image)
                    handle(OutboxRecord(str(image["pk"]), str(image.get("type") or ""), str(image["event"])))
            except Exception:  # reported as failed, and the stream delivers it again: say why, once here
                pk = new_image.get("pk", {}).get("S")
                logger.exception("outbox record failed; it will be delivered again", extra={"outbox_pk": pk})
                failures.append({"itemIdentifier": str(change.get("SequenceNumber", ""))})
        return {"batchItemFailures": failures}

    return lambda_handler
