"""Outbox stream (card_payment.succeeded events only, by the template's FilterCriteria) -> each
payment's receipt PDF and receipt email, once. A failed record is retried, the others are not."""

from pathlib import Path

from card_payments import notifications

from portal_common.observability import metrics
from portal_common.outbox_stream import OutboxRecord, outbox_consumer
from portal_common.web.pages import add_template_dir

add_template_dir(Path(__file__).parent / "templates")  # the receipt email's


def receipt_for(record: OutboxRecord) -> None:
    if notifications.deliver_receipt(record.type, record.event_json):
        metrics.add_metric(name="ReceiptsEmailed", unit="Count", value=1)


lambda_handler = outbox_consumer(receipt_for)
