"""Outbox stream -> CRM queue (partial batch: only the records that failed are retried)."""

from portal_common.observability import metrics
from portal_common.outbox_stream import OutboxRecord, outbox_consumer
from portal_common.relay import relay


def relay_record(record: OutboxRecord) -> None:
    if relay(record.pk, record.event_json):
        metrics.add_metric(name="EventsRelayed", unit="Count", value=1)


lambda_handler = outbox_consumer(relay_record)
