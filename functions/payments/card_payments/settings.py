"""What each part of the payments portal reads from its function's environment (see template.yaml)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from portal_common.settings import Settings


class PaymentsTableSettings(Settings):
    payments_table: str


class ProcessorSettings(Settings):
    """Which processor answers: the bank's API, or the simulator of the local stack (dev only)."""

    processor_mode: Literal["bank", "simulator"]
    processor_base_url: str
    processor_timeout_seconds: float = Field(gt=0, le=20)
    stage: str

    @model_validator(mode="after")
    def _safe(self) -> ProcessorSettings:
        parts = urlsplit(self.processor_base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("PROCESSOR_BASE_URL must be an absolute URL")
        if self.processor_mode == "bank" and parts.scheme != "https":
            raise ValueError("PROCESSOR_BASE_URL must be https for the bank")
        if self.processor_mode == "simulator" and self.stage == "prod":
            raise ValueError("PROCESSOR_MODE simulator is not allowed in prod")
        return self

    @property
    def base_url(self) -> str:
        return self.processor_base_url.rstrip("/")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.processor_base_url)
        return f"{parts.scheme}://{parts.netloc}"


class ProcessorSecretSettings(Settings):
    """The secret holding {"api_key": ..., "webhook_secret": ...} for the bank's API."""

    processor_secret_arn: str


class ReceiptSettings(Settings):
    receipts_bucket: str


class IdempotencySettings(Settings):
    idempotency_table: str
