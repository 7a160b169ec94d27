"""The quote form: who it is for, and what a submission does.

Submitting, in one DynamoDB transaction: the contact's corrected details, the quote request (a
conditional put keyed on the email's send id, so submitting twice creates nothing the second time),
and the CRM events: ``lead.created_from_quote`` (prospect) or ``opportunity.created_from_quote``
(customer),
``contact.updated`` and an ``activity`` (requested_quote).

Who is alerted is decided here (alert_recipients) and carried in the event: the contact's owner (the
staff user the CRM assigned) when there is one, otherwise the fallback list of the
QuoteAlertRecipients template parameter (comma-separated emails). The alert mailer
(send_quote_alert.py, infosite.quote_alerts) emails them from the outbox stream, retried until it
goes out, once; the contact's answer does not wait for the email.
"""

from __future__ import annotations

from pydantic import BaseModel

from portal_common.crm_contracts.infosite import ContactDetails, QuoteContact, QuoteRecordCreated, QuoteRequestData
from portal_common.events import Actor, CrmEvent, activity_event, utc_now
from portal_common.links import verify_link
from portal_common.outbox import Transaction
from portal_common.settings import Settings, load_settings

from . import contact_store
from .contacts import Contact
from .errors import QuoteAlreadyReceived
from .link_subjects import QUOTE, parse_quote_subject
from .quotes import QuoteForm, QuoteReceipt, QuoteRequest, record_kind

EXPIRED_NEXT_STEP = (
    "Quote links work for 90 days. Reply to the email that brought you here and we will get back to you."
)


class AlertSettings(Settings):
    quote_alert_recipients: str

    def fallback(self) -> list[str]:
        return [a.strip() for a in self.quote_alert_recipients.split(",") if a.strip()]


def alert_recipients(contact: Contact) -> list[str]:
    return [contact.owner] if contact.owner else load_settings(AlertSettings).fallback()


class QuoteFormView(BaseModel):
    contact: Contact
    receipt: QuoteReceipt | None  # set when this email's request was received already


def _receipt(quote: QuoteRequest, contact: Contact, already: bool) -> QuoteReceipt:
    return QuoteReceipt(
        record=quote.record,
        contact_by=quote.contact_by,
        best_time=quote.best_time,
        by_account_manager=bool(contact.owner),
        already_received=already,
    )


def _link(token: str) -> tuple[str, str]:
    return parse_quote_subject(verify_link(token, QUOTE, expired_next_step=EXPIRED_NEXT_STEP).subject)


def open_quote_form(token: str) -> QuoteFormView:
    """The contact the form is prefilled from (reads only: link scanners open it too)."""
    contact_id, key = _link(token)
    contact = contact_store.require_contact(contact_id, consistent=False)
    existing = contact_store.get_quote(contact_id, key)
    return QuoteFormView(contact=contact, receipt=_receipt(existing, contact, True) if existing else None)


def prefill(contact: Contact) -> dict[str, str]:
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone or "",
        "company": contact.company or "",
        "needs": "",
        "contact_by": "email",
        "best_time": "",
    }


def _events(actor: Actor, contact: Contact, quote: QuoteRequest, form: QuoteForm) -> list[CrmEvent]:
    subject = f"contact:{contact.id}"
    details = ContactDetails(contact_id=contact.id, **form.model_dump(include={"name", "email", "phone", "company"}))
    created = QuoteRecordCreated(
        record=quote.record,
        quote_key=quote.key,
        contact=QuoteContact(
            id=contact.id, kind=contact.kind, owner=contact.owner, **details.model_dump(exclude={"contact_id"})
        ),
        request=QuoteRequestData(needs=quote.needs, contact_by=quote.contact_by, best_time=quote.best_time),
        assigned_to=quote.assigned_to,
    )
    return [
        CrmEvent(
            type=f"{quote.record}.created_from_quote",
            portal="infosite",
            actor=actor.model_copy(update={"label": created.label}),
            subject=subject,
            data=created.model_dump(mode="json"),
        ),
        CrmEvent(
            type="contact.updated",
            portal="infosite",
            actor=actor,
            subject=subject,
            data=details.model_dump(mode="json"),
        ),
        activity_event("infosite", actor, "requested_quote", subject, quote.record, quote.key),
    ]


def submit_quote(token: str, form: QuoteForm, actor: Actor) -> QuoteReceipt:
    contact_id, key = _link(token)
    contact = contact_store.require_contact(contact_id)
    existing = contact_store.get_quote(contact_id, key)
    if existing is not None:
        return _receipt(existing, contact, True)
    actor = actor.model_copy(update={"kind": "contact", "id": contact_id})
    quote = QuoteRequest(
        contact_id=contact_id,
        key=key,
        record=record_kind(contact),
        needs=form.needs,
        contact_by=form.contact_by,
        best_time=form.best_time,
        assigned_to=alert_recipients(contact),
        submitted_at=utc_now(),
    )
    try:
        with Transaction() as tx:
            contact_store.stage_contact_details(tx, contact_id, form, quote.submitted_at)
            contact_store.stage_quote(tx, quote)
            for event in _events(actor, contact, quote, form):
                tx.event(event)
    except QuoteAlreadyReceived:  # a concurrent submit of the same form won the conditional put
        existing = contact_store.get_quote(contact_id, key)
        if existing is None:
            raise
        return _receipt(existing, contact, True)
    return _receipt(quote, contact, False)
