"""S3 ObjectCreated on the images bucket: check each upload by its bytes and make its thumbnail
(thumbnails.process_upload). A failure fails the invocation, so S3's retries try again."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from thumbnails import process_upload

from portal_common.observability import logger, metrics, tracer
from portal_common.s3_notifications import stored_objects


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    for stored in stored_objects(event):  # the bucket is ours: the only one that notifies this function
        outcome = process_upload(stored.key, stored.stored_at)
        logger.info("upload processed", extra={"key": stored.key, "result": outcome.result})
        if outcome.result in ("recorded", "thumbnail"):
            metrics.add_metric(name="ThumbnailsMade", unit="Count", value=1)
        outcomes.append({"key": stored.key, "result": outcome.result})
    return {"processed": outcomes}
