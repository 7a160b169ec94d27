"""Lambda handlers that read the outbox table's stream: one call per new outbox item, with a partial
batch response, so only the records that failed are retried (the stream keeps them until they pass).

    lambda_handler = outbox_consumer(handle)   # handle(OutboxRecord) raises to have it retried

Used by the CRM relay (every event) and by consumers that act on one event type, which their
template FilterCriteria select (e.g. the payments receipt mailer on card_payment.succeeded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_common.observability import logger, metrics, tracer


class OutboxRecord(NamedTuple):
    pk: str
    type: str
    event_json: str  # the CrmEvent envelope, as committed


def outbox_consumer(
    handle: Callable[[OutboxRecord], None],
) -> Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]:
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    def handle_record(record: DynamoDBRecord) -> None:
        image = record.dynamodb.new_image if record.dynamodb else None
        if not image or "event" not in image:
            return
        try:
            handle(OutboxRecord(str(image["pk"]), str(image.get("type") or ""), str(image["event"])))
        except Exception:  # the batch reports it failed and the stream delivers it again: say why, once here
            logger.exception("outbox record failed; it will be delivered again", extra={"outbox_pk": image["pk"]})
            raise

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)

    return lambda_handler
