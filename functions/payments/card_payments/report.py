"""The CC Payments report: every card payment attempt, by date range (UTC days), invoice and outcome.

By date range: one Query of the GSI ByAttemptDay per day (the index holds attempts only). By invoice:
one Query of the invoice's partition (narrowed to the days, if given). Never a Scan.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from portal_common.errors import ValidationFailed

from . import repository
from .models import Attempt, AttemptOut, Report, ReportQuery

CSV_COLUMNS = list(AttemptOut.model_fields)


def build_report(query: ReportQuery) -> Report:
    today = datetime.now(UTC).date()
    day_from, day_to = query.date_from, query.date_to
    attempts: list[Attempt]
    if query.invoice:
        attempts = repository.attempts_of_invoice(query.invoice, day_from, day_to, query.outcomes)
    else:
        day_from = day_from or day_to or today
        day_to = day_to or (today if day_from <= today else day_from)
        if (day_to - day_from).days >= query.MAX_DAYS:  # 'from' alone, long ago: one Query per day since
            raise ValidationFailed(
                f"The date range is at most {query.MAX_DAYS} days.",
                field_errors={"from": f"at most {query.MAX_DAYS} days before 'to' (today when not given)"},
            )
        attempts = []
        day = day_from
        while day <= day_to:
            attempts.extend(repository.attempts_on_day(day, query.outcomes))
            day += timedelta(days=1)
    rows = [AttemptOut.of(a) for a in sorted(attempts, key=lambda a: (a.started_at, a.attempt_id))]
    return Report(
        date_from=day_from,
        date_to=day_to,
        invoice=query.invoice,
        outcomes=query.outcomes,
        count=len(rows),
        attempts=rows,
    )


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in report.attempts:
        values = row.model_dump(mode="json")
        writer.writerow({k: _cell(values[k]) for k in CSV_COLUMNS})
    return buffer.getvalue()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # a spreadsheet must not run a cell as a formula (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
