"""The CRM orders a nurture email: checked against the contacts we know, then queued for the sender."""

from __future__ import annotations

from . import contact_store, nurture_queue
from .nurture import NurtureEmailOrder, NurtureSendRequest, QueuedNurtureEmail


def queue_nurture_email(order: NurtureEmailOrder) -> QueuedNurtureEmail:
    contact_store.require_contact(order.contact_id, consistent=False)  # 404 for an unknown contact
    values = order.model_dump(exclude_none=True)
    request = NurtureSendRequest.model_validate(values)
    nurture_queue.enqueue(request)
    return QueuedNurtureEmail(
        send_id=request.send_id, contact_id=request.contact_id, campaign=request.campaign, step=request.step
    )
