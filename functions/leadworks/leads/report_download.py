"""Downloading the report of a bulk upload: the advertiser's own reports only (an activity)."""

from __future__ import annotations

from leads import upload_reports
from portal_common.events import Actor, activity_event
from portal_common.outbox import emit


def download_report(advertiser_id: str, upload_id: str, actor: Actor) -> bytes:
    data = upload_reports.load(advertiser_id, upload_id)
    emit(activity_event("leadworks", actor, "downloaded", f"lead_upload:{upload_id}", "lead_upload_report", upload_id))
    return data
