"""S3 ObjectCreated on MailArchiveBucket (SES inbound archives each message there): index it by its
addresses and attach it to their leads (correspondence.indexing). Delivered twice, it changes nothing."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from correspondence.indexing import index_archived_message

from portal_common.observability import logger, tracer
from portal_common.s3_notifications import stored_objects


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = []
    for stored in stored_objects(event):
        outcome = index_archived_message(stored.bucket, stored.key, stored.stored_at)
        logger.info(
            "archived message",
            extra={"key": outcome.key, "addresses": outcome.addresses, "attached_to": list(outcome.attached_to)}
            | ({"skipped": outcome.skipped} if outcome.skipped else {}),
        )
        done.append(outcome.key)
    return {"indexed": done}
