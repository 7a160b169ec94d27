"""S3 ObjectCreated on the images bucket: check each upload by its bytes and make its thumbnail
(thumbnails.process_upload). A failure fails the invocation, so S3's retries try again."""

from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext
from thumbnails import process_upload

from portal_common.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records") or []:
        s3 = record.get("s3") or {}
        key = unquote_plus((s3.get("object") or {}).get("key", ""))
        when = datetime.fromisoformat(record.get("eventTime", "1970-01-01T00:00:00Z").replace("Z", "+00:00"))
        outcome = process_upload(key, when)
        logger.info("upload processed", extra={"key": key, "result": outcome.result})
        if outcome.result in ("recorded", "thumbnail"):
            metrics.add_metric(name="ThumbnailsMade", unit="Count", value=1)
        outcomes.append({"key": key, "result": outcome.result})
    return {"processed": outcomes}
