"""Outbox stream (lead.created_from_quote and opportunity.created_from_quote events only, by the
template's FilterCriteria) -> the quote alert email to the assigned staff, once. A failed record is
retried, the others are not."""

from pathlib import Path

from infosite import quote_alerts

from portal_common.observability import metrics
from portal_common.outbox_stream import OutboxRecord, outbox_consumer
from portal_common.web.pages import add_template_dir

add_template_dir(Path(__file__).parent / "templates")  # the alert email's


def alert_for(record: OutboxRecord) -> None:
    if quote_alerts.deliver_alert(record.type, record.event_json):
        metrics.add_metric(name="QuoteAlertsEmailed", unit="Count", value=1)


lambda_handler = outbox_consumer(alert_for)
