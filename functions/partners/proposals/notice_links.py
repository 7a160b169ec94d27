"""The signed link of a proposal notice email (portal_common.links, purpose "partner-notice"):
subject "<partner id>:<proposal id>", valid 30 days."""

from __future__ import annotations

from portal_common import links

NOTICE_PURPOSE = "partner-notice"
NOTICE_TTL_SECONDS = 30 * 24 * 3600


def notice_link(origin: str, partner_id: str, proposal_id: str) -> str:
    token = links.sign_link(NOTICE_PURPOSE, f"{partner_id}:{proposal_id}", NOTICE_TTL_SECONDS)
    return f"{origin}/partners/notice/{token}"


def proposal_of_notice(token: str) -> str:
    claims = links.verify_link(
        token,
        NOTICE_PURPOSE,
        expired_next_step="Sign in to the Partners portal: the proposal is in your list of proposals.",
    )
    _partner_id, _, proposal_id = claims.subject.partition(":")
    return proposal_id
