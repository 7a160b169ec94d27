"""The CC Payments report: every card payment attempt, by date range (UTC days), invoice and outcome.

By date range: one Query of the GSI ByAttemptDay per day (the index holds attempts only). By invoice:
one Query of the invoice's partition (narrowed to the days, if given). Never a Scan. A page holds at
most ``limit`` attempts (1,000 unless asked); ``next_cursor`` says where the next page starts, so a
busy range never makes an answer larger than Lambda can return.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta

from portal_common import cursors
from portal_common.errors import BadRequest, ValidationFailed

from . import repository
from .models import Attempt, AttemptOut, Report, ReportQuery

CSV_COLUMNS = list(AttemptOut.model_fields)


def build_report(query: ReportQuery) -> Report:
    """One page of the report (``query.limit`` attempts at most), oldest first."""
    today = datetime.now(UTC).date()
    day_from, day_to = query.date_from, query.date_to
    want = query.limit + 1  # one more than the page: whether another page follows
    attempts: list[Attempt]
    if query.invoice:
        after = _position(query.cursor, INVOICE_CURSOR)
        if after is not None and after.invoice_number != query.invoice:
            raise _out_of_date()
        try:
            attempts = repository.attempts_of_invoice(
                query.invoice, day_from, day_to, query.outcomes, after=after, want=want
            )
        except repository.OutsideRange:  # the cursor of the same invoice with other days
            raise _out_of_date() from None
    else:
        day_from = day_from or day_to or today
        day_to = day_to or (today if day_from <= today else day_from)
        if (day_to - day_from).days >= query.MAX_DAYS:  # 'from' alone, long ago: one Query per day since
            raise ValidationFailed(
                f"The date range is at most {query.MAX_DAYS} days.",
                field_errors={"from": f"at most {query.MAX_DAYS} days before 'to' (today when not given)"},
            )
        after = _position(query.cursor, DAYS_CURSOR)
        day = day_from
        if after is not None:
            day = _day(after.day)
            if not day_from <= day <= day_to:
                raise _out_of_date()
        attempts = []
        while day <= day_to and len(attempts) < want:
            resume = after if after is not None and after.day == day.isoformat() else None
            attempts += repository.attempts_on_day(day, query.outcomes, after=resume, want=want - len(attempts))
            day += timedelta(days=1)
    page = attempts[: query.limit]  # days in order, and by start time within a day (the sort key)
    next_cursor = None
    if len(attempts) > query.limit:
        kind = INVOICE_CURSOR if query.invoice else DAYS_CURSOR
        next_cursor = cursors.encode(kind, dataclasses.asdict(repository.Position.of(page[-1])))
    rows = [AttemptOut.of(a) for a in page]
    return Report(
        date_from=day_from,
        date_to=day_to,
        invoice=query.invoice,
        outcomes=query.outcomes,
        count=len(rows),
        attempts=rows,
        next_cursor=next_cursor,
    )


INVOICE_CURSOR = "payments-report-invoice"
DAYS_CURSOR = "payments-report-days"


def _out_of_date() -> BadRequest:
    return BadRequest("This page link is out of date.", next_step="Ask for the report again without a cursor.")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _out_of_date() from None


def _position(cursor: str | None, kind: str) -> repository.Position | None:
    """Where the previous page ended; the cursor only positions the report's own Query (the day or
    invoice always comes from the query), and one that does not fit it is refused (400)."""
    if cursor is None:
        return None
    position = repository.Position(**cursors.decode(cursor, kind, ("day", "invoice_number", "sk")))
    _day(position.day)
    if not position.sk.startswith(repository.ATTEMPT_PREFIX) or not position.invoice_number:
        raise _out_of_date()
    return position


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
