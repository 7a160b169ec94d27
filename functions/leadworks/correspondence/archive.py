"""MailArchiveBucket: reading archived messages (SES inbound writes them; nothing here writes).

inbound/<SES message id>      one received message, raw MIME (the receipt rule's S3 action)
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from portal_common import aws

ARCHIVE_PREFIX = "inbound/"
READ_BYTES = 1024 * 1024  # headers and the start of the text are all the index needs


def read_message(bucket: str, key: str) -> bytes | None:
    """The first megabyte of an archived message, or None when it is gone."""
    try:
        answer = aws.client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{READ_BYTES - 1}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
            return None
        raise
    return bytes(answer["Body"].read())
