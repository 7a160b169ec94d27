"""An archived message as Leadworks keeps and shows it (not the message itself: that stays in the archive)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from portal_common.crm_contracts.leadworks import CorrespondenceRef


class ArchivedMessage(BaseModel):
    """What the index holds for one archived message (the same under each of its addresses)."""

    message_key: str = Field(description="object key in the mail archive bucket")
    bucket: str
    received_at: datetime
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    message_id: str | None = None
    snippet: str = Field(default="", description="the start of the message's text")

    def ref(self) -> CorrespondenceRef:
        return CorrespondenceRef(
            message_key=self.message_key,
            archive_uri=f"s3://{self.bucket}/{self.message_key}",
            received_at=self.received_at,
            subject=self.subject,
            from_address=self.from_address,
            message_id=self.message_id,
        )
