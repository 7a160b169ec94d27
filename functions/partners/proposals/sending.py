"""Sending a reviewed proposal to its partner: the only way it becomes visible to the partner.

The partner is not alerted when a proposal is created. The account manager reviews it, then sends
it: the proposal enters the partner's list (a conditional state change, so concurrent sends make one
change) and the partner gets an email with a link to it. The email is sent by the one caller that
claims it, and recorded; sending again answers ``email_sent_now: false`` and mails nothing, while a
send whose email failed (SES down) is completed by the next attempt.
"""

from __future__ import annotations

from clock import now
from registry import repository as partners

from portal_common import mail
from portal_common.crm_contracts.partners import ProposalSent
from portal_common.errors import Conflict
from portal_common.events import Actor, CrmEvent
from proposals import store, writes
from proposals.models import SendAnswer, SendRequest
from proposals.notice_links import notice_link


def send_proposal(proposal_id: str, request: SendRequest, actor: Actor, origin: str) -> SendAnswer:
    proposal = store.get(proposal_id, consistent=True)
    if not proposal.assigned:
        raise Conflict(
            f"This proposal has no partner: no partner holds ZIP code {proposal.zip}.",
            next_step="Register a partner for that ZIP code, route the proposal again, then send it.",
        )
    assert proposal.partner_id is not None
    partner = partners.get_partner(proposal.partner_id)
    if proposal.sent_at is None:
        if proposal.status == "new" and request.reviewed_by is None:
            raise Conflict(
                "The account manager has to review this proposal before it is sent.",
                next_step="Mark it reviewed (or send with reviewed_by), then send it.",
            )
        if partner.status != "active":
            raise Conflict(f"Partner {partner.partner_id} is deactivated; the proposal cannot be sent to it.")
        at = now()
        event = CrmEvent(
            type="external_proposal.sent",
            portal="partners",
            actor=actor,
            subject=f"external_proposal:{proposal_id}",
            data=ProposalSent(proposal_id=proposal_id, partner_id=proposal.partner_id, sent_at=at).model_dump(
                mode="json"
            ),
        )
        try:
            writes.mark_sent(proposal, at, request.reviewed_by, event)
        except writes.StateChanged:  # another send won: read what it wrote (the notice below still goes once)
            proposal = store.get(proposal_id, consistent=True)
            if proposal.sent_at is None:
                raise writes.StateChanged("This proposal changed while it was being sent; please try again.") from None
        else:  # the conditional write took: the proposal is what it wrote, no need to read it back
            reviewed = {
                "reviewed_at": proposal.reviewed_at or at,
                "reviewed_by": proposal.reviewed_by or request.reviewed_by,
            }
            proposal = proposal.model_copy(
                update={"status": "sent", "sent_at": at, **(reviewed if request.reviewed_by is not None else {})}
            )
    email_sent_now = False
    claimed_at = now()
    if proposal.notice_message_id is None and writes.claim_notice(proposal_id, claimed_at):
        try:
            message_id = mail.send_email(
                partner.email,
                "proposal_notice",
                {
                    "partner": partner,
                    "proposal": proposal,
                    "link": notice_link(origin, partner.partner_id, proposal_id),
                },
            )
        except BaseException:
            writes.release_notice(proposal_id)
            raise
        writes.record_notice(proposal_id, message_id)
        email_sent_now = True
    assert proposal.sent_at is not None
    return SendAnswer(
        proposal_id=proposal_id, status=proposal.status, sent_at=proposal.sent_at, email_sent_now=email_sent_now
    )
