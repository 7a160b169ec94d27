"""LeadUploadsBucket: the per-row reports of bulk uploads (the only module that touches it).

    reports/<advertiser id>/<upload id>.csv      one report; kept 30 days (the bucket's lifecycle)

The advertiser id in the key comes from the signed-in identity, never from the request, so one
advertiser's request can only ever name its own reports.
"""

from __future__ import annotations

import re

from botocore.exceptions import ClientError

from portal_common import aws
from portal_common.errors import NotFound
from portal_common.settings import Settings, load_settings

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadReportSettings(Settings):
    lead_uploads_bucket: str


def _key(advertiser_id: str, upload_id: str) -> str:
    if not UPLOAD_ID.fullmatch(upload_id):
        raise NotFound("There is no such report.")
    return f"reports/{advertiser_id}/{upload_id}.csv"


def save(advertiser_id: str, upload_id: str, report_csv: bytes) -> None:
    aws.client("s3").put_object(
        Bucket=load_settings(UploadReportSettings).lead_uploads_bucket,
        Key=_key(advertiser_id, upload_id),
        Body=report_csv,
        ContentType="text/csv; charset=utf-8",
    )


def load(advertiser_id: str, upload_id: str) -> bytes:
    try:
        answer = aws.client("s3").get_object(
            Bucket=load_settings(UploadReportSettings).lead_uploads_bucket, Key=_key(advertiser_id, upload_id)
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "AccessDenied"):
            raise NotFound("There is no such report (reports are kept for 30 days).") from exc
        raise
    return bytes(answer["Body"].read())
