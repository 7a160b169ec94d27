"""Sending one nurture email, with the rule that matters: an unsubscribed contact gets no more.

The contact is read (consistently) right before sending, so an unsubscribe is effective at once. A
skipped send is recorded and reported to the CRM (``nurture.skipped``); a sent one too
(``nurture.sent``). SQS delivers at least once: a send already recorded is not sent again, and
neither is one already claimed: the send is stored ``sending`` before its email goes (released if
SES fails), so a delivery that sent the email but could not record it leaves a claim, and the
message's next delivery records the send without mailing the contact twice.
"""

from __future__ import annotations

from portal_common import mail
from portal_common.crm_contracts.infosite import NurtureSend
from portal_common.events import Actor, CrmEvent, utc_now
from portal_common.outbox import Transaction

from . import contact_store
from .errors import SendAlreadyRecorded
from .nurture import NurtureSendRequest, SendOutcome, SendRecord
from .nurture_links import nurture_links

SENDER = Actor(kind="system", id="nurture-sender", label="Info site")
EMAIL_TEMPLATE = "nurture_p2"


def _record(request: NurtureSendRequest, record: SendRecord, event_type: str) -> SendOutcome:
    outcome = SendOutcome(
        send_id=request.send_id,
        contact_id=request.contact_id,
        status=record.status,
        reason=record.reason,
        message_id=record.message_id,
    )
    try:
        with Transaction() as tx:
            contact_store.stage_send(tx, record)
            tx.event(
                CrmEvent(
                    type=event_type,
                    portal="infosite",
                    actor=SENDER,
                    subject=f"contact:{request.contact_id}",
                    data=NurtureSend(
                        contact_id=request.contact_id,
                        send_id=request.send_id,
                        campaign=request.campaign,
                        step=request.step,
                        reason=record.reason,
                        message_id=record.message_id,
                    ).model_dump(mode="json"),
                )
            )
    except SendAlreadyRecorded:  # a concurrent delivery of the same message recorded it first
        return outcome.model_copy(update={"status": "duplicate"})
    return outcome


def _duplicate(request: NurtureSendRequest, message_id: str | None = None) -> SendOutcome:
    return SendOutcome(
        send_id=request.send_id, contact_id=request.contact_id, status="duplicate", message_id=message_id
    )


def send_nurture_email(request: NurtureSendRequest) -> SendOutcome:
    previous = contact_store.get_send(request.contact_id, request.send_id)
    if previous is not None and previous.status != "sending":
        return _duplicate(request, previous.message_id)
    contact = contact_store.require_contact(request.contact_id, consistent=True)
    base = {"contact_id": contact.id, "send_id": request.send_id, "campaign": request.campaign, "step": request.step}
    if previous is not None:  # an earlier delivery claimed it, and its email went out unrecorded
        return _record(request, SendRecord(**base, status="sent", at=utc_now()), "nurture.sent")
    if contact.unsubscribed:
        skipped = SendRecord(**base, status="skipped", reason="unsubscribed", at=utc_now())
        return _record(request, skipped, "nurture.skipped")
    links = nurture_links(contact.id, request.send_id)
    if not contact_store.claim_send(SendRecord(**base, status="sending", at=utc_now())):
        return _duplicate(request)  # a concurrent delivery of the same message claimed it first
    try:
        message_id = mail.send_email(
            contact.email,
            EMAIL_TEMPLATE,
            {
                "name": contact.name,
                "company": contact.company,
                "is_customer": contact.kind == "customer",
                "step": request.step,
                "quote_url": links.quote_url,
                "unsubscribe_url": links.unsubscribe_url,
            },
            headers=links.headers,
        )
    except BaseException:
        contact_store.release_send(contact.id, request.send_id)
        raise
    sent = SendRecord(**base, status="sent", message_id=message_id, at=utc_now())
    return _record(request, sent, "nurture.sent")
