"""S3 ObjectCreated on MailArchiveBucket (SES inbound archives each message there): index it by its
addresses and attach it to their leads (correspondence.indexing). Delivered twice, it changes nothing."""

from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext
from correspondence.indexing import index_archived_message

from portal_common.observability import logger, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = []
    for record in S3Event(event).records:
        stored_at = datetime.fromisoformat(record.event_time)
        key = unquote_plus(record.s3.get_object.key)  # S3 sends keys URL-encoded
        outcome = index_archived_message(record.s3.bucket.name, key, stored_at)
        logger.info(
            "archived message",
            extra={"key": outcome.key, "addresses": outcome.addresses, "attached_to": list(outcome.attached_to)}
            | ({"skipped": outcome.skipped} if outcome.skipped else {}),
        )
        done.append(outcome.key)
    return {"indexed": done}
