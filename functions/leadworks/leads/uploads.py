"""Bulk upload: a CSV of leads, each row validated on its own, each valid row a lead like one from
the form (same rules, same key, same event), with a per-row result: created, duplicate (of an
existing lead, or of an earlier row of the same file), or invalid with the reason. Valid rows are
kept when others fail.

Within API Gateway's 29 seconds, for the 2,000 rows a file may hold:
- rows are validated in memory; duplicates within the file are found there;
- existing leads are found with BatchGetItem (100 keys a call), the correspondence of each new
  address with one query each, several at a time;
- leads are written in transactions of up to 100 items (lead + id pointer + ``lead.created`` event
  + attached messages); a lead whose email was taken meanwhile is refused by its own condition and
  the transaction is retried without it, so the others still land;
- if time runs short, the rows not yet written are reported "not_processed" (upload them again),
  never silently dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cache
from typing import Literal

from clock import now
from correspondence import mail_index
from correspondence.models import ArchivedMessage
from pydantic import BaseModel, Field

from leads import repository, upload_reports
from leads.csv_rows import CsvRow, read_csv, write_csv
from leads.email_key import InvalidEmail, email_key
from leads.models import Lead
from leads.repository import MAX_TRANSACTION_ITEMS, LeadWrite
from leads.writing import catch_up, lead_write, new_lead_id
from portal_common.events import Actor, activity_event
from portal_common.intake.models import FIELD_LABELS, IntakeFields, parse_intake
from portal_common.outbox import emit

Result = Literal["created", "duplicate", "invalid", "not_processed"]
REPORT_COLUMNS = ("row", "email", "result", "lead_id", "reason")
EXISTS = "A lead with this email address already exists"
OUT_OF_TIME = "Not processed: the upload ran out of time. Upload this row again."
RESERVE_SECONDS = 6.0  # what is left for the last lookups, the report and the answer
LOOKUP_THREADS = 8


class RowResult(BaseModel):
    row: int = Field(description="the row number as a spreadsheet shows it (the header is row 1)")
    email: str
    result: Result
    lead_id: str | None = None
    reason: str = ""


class UploadSummary(BaseModel):
    rows: int
    created: int
    duplicate: int
    invalid: int
    not_processed: int


class UploadReport(BaseModel):
    upload_id: str
    uploaded_at: datetime
    summary: UploadSummary
    rows: list[RowResult]
    ignored_columns: list[str] = Field(default_factory=list)
    report_url: str


def report_url(upload_id: str) -> str:
    return f"/leadworks/leads/upload/{upload_id}/report.csv"


def _reason(errors: dict[str, str]) -> str:
    return "; ".join(f"{FIELD_LABELS.get(name, name)}: {problem}" for name, problem in errors.items())


class Candidate:
    def __init__(self, row: CsvRow, fields: IntakeFields, key: str):
        self.row, self.fields, self.key = row, fields, key
        self.found: list[ArchivedMessage] = []
        self.write: LeadWrite | None = None


def classify_rows(rows: list[CsvRow], results: dict[int, RowResult]) -> list[Candidate]:
    candidates: list[Candidate] = []
    first_row: dict[str, int] = {}
    for row in rows:
        email = row.values.get("email", "").strip()
        fields, errors = parse_intake(row.values)
        if fields is None:
            results[row.number] = RowResult(row=row.number, email=email, result="invalid", reason=_reason(errors))
            continue
        try:
            key = email_key(fields.email)
        except InvalidEmail as exc:
            results[row.number] = RowResult(row=row.number, email=email, result="invalid", reason=f"Email: {exc}")
            continue
        if key in first_row:
            reason = f"Same email address as row {first_row[key]} of this file"
            results[row.number] = RowResult(row=row.number, email=email, result="duplicate", reason=reason)
            continue
        first_row[key] = row.number
        candidates.append(Candidate(row, fields, key))
    return candidates


def _batches(candidates: list[Candidate]) -> list[list[Candidate]]:
    batches: list[list[Candidate]] = [[]]
    items = 0
    for candidate in candidates:
        assert candidate.write is not None
        if items + candidate.write.items > MAX_TRANSACTION_ITEMS:
            batches.append([])
            items = 0
        batches[-1].append(candidate)
        items += candidate.write.items
    return [b for b in batches if b]


@cache
def _lookup_pool() -> ThreadPoolExecutor:
    """The threads the per-row correspondence lookups run on: made once per process (a warm
    invocation reuses them; boto3 clients are thread-safe), not once per upload."""
    return ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="lead-lookups")


def upload_leads(
    advertiser_id: str, created_by: str, data: bytes, actor: Actor, *, seconds_left: Callable[[], float]
) -> UploadReport:
    csv_file = read_csv(data)
    upload_id, at = uuid.uuid4().hex, now()
    results: dict[int, RowResult] = {}
    candidates = classify_rows(csv_file.rows, results)

    existing = repository.owners_of(c.key for c in candidates)
    fresh: list[Candidate] = []
    for c in candidates:
        if c.key in existing:
            results[c.row.number] = RowResult(row=c.row.number, email=c.fields.email, result="duplicate", reason=EXISTS)
        else:
            fresh.append(c)

    pool = _lookup_pool()
    for c, found in zip(fresh, pool.map(lambda c: mail_index.messages_for(c.key), fresh), strict=True):
        c.found = found
    for c in fresh:
        lead = Lead(
            lead_id=new_lead_id(),
            advertiser_id=advertiser_id,
            email_key=c.key,
            source="leadworks_upload",
            fields=c.fields,
            created_at=now(),
            created_by=created_by,
            upload_id=upload_id,
        )
        c.write = lead_write(lead, c.found, actor, touch=False)

    created: list[Candidate] = []
    for batch in _batches(fresh):
        if seconds_left() < RESERVE_SECONDS:
            for c in batch:
                results[c.row.number] = RowResult(
                    row=c.row.number, email=c.fields.email, result="not_processed", reason=OUT_OF_TIME
                )
            continue
        refused = repository.add_leads([c.write for c in batch if c.write is not None])
        for index, c in enumerate(batch):
            assert c.write is not None
            if index in refused:
                results[c.row.number] = RowResult(
                    row=c.row.number, email=c.fields.email, result="duplicate", reason=EXISTS
                )
            else:
                created.append(c)
                results[c.row.number] = RowResult(
                    row=c.row.number, email=c.fields.email, result="created", lead_id=c.write.lead.lead_id
                )
    # what was archived while the leads were written is attached too (leads.attachments)
    list(pool.map(lambda c: catch_up(c.write.lead, c.write.attachments), created))

    rows = [results[n] for n in sorted(results)]
    counts = {
        kind: sum(1 for r in rows if r.result == kind) for kind in ("created", "duplicate", "invalid", "not_processed")
    }
    report = UploadReport(
        upload_id=upload_id,
        uploaded_at=at,
        summary=UploadSummary(rows=len(rows), **counts),
        rows=rows,
        ignored_columns=csv_file.ignored_columns,
        report_url=report_url(upload_id),
    )
    upload_reports.save(advertiser_id, upload_id, report_csv(report))
    emit(activity_event("leadworks", actor, "created", f"lead_upload:{upload_id}", "lead_upload", upload_id))
    return report


def report_csv(report: UploadReport) -> bytes:
    return write_csv(REPORT_COLUMNS, ([r.row, r.email, r.result, r.lead_id or "", r.reason] for r in report.rows))
