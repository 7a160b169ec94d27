"""portal_common.s3_notifications: what the S3-notified functions read from an event."""

import json
from datetime import UTC, datetime

from local.template import ROOT
from portal_common.s3_notifications import StoredObject, stored_objects


def test_the_sample_event_gives_its_bucket_decoded_key_and_time() -> None:
    # Given the mail indexer's sample notification, with a key S3 has URL-encoded
    event = json.loads((ROOT / "events" / "leadworks" / "index_archived_mail.json").read_text())
    event["Records"][0]["s3"]["object"]["key"] = "inbound/a+b%2Bc%C3%A9"
    # When it is read, then the key is decoded as S3 encodes it (space as +) and the time is aware
    assert stored_objects(event) == [
        StoredObject(
            bucket="mail-archive-bucket",
            key="inbound/a b+cé",
            stored_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        )
    ]


def test_records_keep_their_order_and_an_event_without_records_has_none() -> None:
    records = [{"eventTime": f"2026-11-22T10:00:0{i}.000Z", "s3": {"bucket": {"name": "b"}, "object": {"key": f"k{i}"}}} for i in range(3)]  # fmt: skip
    assert [o.key for o in stored_objects({"Records": records})] == ["k0", "k1", "k2"]
    assert stored_objects({}) == [] and stored_objects({"Records": None}) == []
    (untimed,) = stored_objects({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}]})
    assert untimed.stored_at == datetime(1970, 1, 1, tzinfo=UTC)
