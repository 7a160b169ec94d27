"""Scheduled: settle payment attempts whose answer never came (looked up at the processor by their
idempotency key; no charge found -> the invoice opens again)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from card_payments import checkout

from portal_common.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settled = checkout.reconcile_recent()
    metrics.add_metric(name="PaymentsReconciled", unit="Count", value=settled)
    return {"settled": settled}
