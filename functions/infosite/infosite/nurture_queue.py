"""NurtureQueue access (template: NurtureQueue, its DLQ NurtureDeadLetterQueue after 3 receives)."""

from __future__ import annotations

from portal_common import aws
from portal_common.settings import Settings, load_settings

from .nurture import NurtureSendRequest


class NurtureQueueSettings(Settings):
    nurture_queue_url: str


def enqueue(request: NurtureSendRequest) -> None:
    aws.client("sqs").send_message(
        QueueUrl=load_settings(NurtureQueueSettings).nurture_queue_url,
        MessageBody=request.model_dump_json(),
        MessageAttributes={"campaign": {"DataType": "String", "StringValue": request.campaign}},
    )
