"""NurtureQueue -> one nurture email per message (partial batch: only failed messages are retried,
and after three receives a message goes to the dead-letter queue)."""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from infosite.nurture import NurtureSendRequest
from infosite.nurture_sending import send_nurture_email

from portal_common.observability import logger, metrics, tracer
from portal_common.web.pages import add_template_dir

add_template_dir(Path(__file__).parent / "templates")
# a failed message is logged with its traceback, then retried by SQS (and dead-lettered after 3)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False, logger=logger)  # type: ignore[arg-type]


def send_one(record: SQSRecord) -> None:
    request = NurtureSendRequest.model_validate_json(record.body)
    outcome = send_nurture_email(request)
    logger.info("nurture email", extra=outcome.model_dump())
    metrics.add_metric(name=f"NurtureEmails{outcome.status.capitalize()}", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send_one, processor=processor, context=context)
