"""The two signed links of a nurture email, and the RFC 8058 headers that carry the unsubscribe one.

The link bases are the function URLs of UnsubscribeFunction and QuoteFunction (template:
``!GetAtt <Function>Url.FunctionUrl``; https in AWS, the local gateway's /fn/<Function>/ locally).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from portal_common.links import sign_link
from portal_common.settings import Settings, load_settings

from .link_subjects import QUOTE, QUOTE_TTL_SECONDS, UNSUBSCRIBE, UNSUBSCRIBE_TTL_SECONDS, quote_subject


class LinkTargets(Settings):
    unsubscribe_url: str
    quote_url: str


@dataclass(frozen=True)
class NurtureLinks:
    unsubscribe_url: str
    quote_url: str

    @property
    def headers(self) -> dict[str, str]:
        """RFC 2369 + RFC 8058: one-click unsubscribe by a POST to the same URI, no cookies needed."""
        return {
            "List-Unsubscribe": f"<{self.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def _with_token(base: str, token: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'token': token})}"


def nurture_links(contact_id: str, send_id: str) -> NurtureLinks:
    targets = load_settings(LinkTargets)
    return NurtureLinks(
        unsubscribe_url=_with_token(
            targets.unsubscribe_url, sign_link(UNSUBSCRIBE, contact_id, UNSUBSCRIBE_TTL_SECONDS)
        ),
        quote_url=_with_token(
            targets.quote_url, sign_link(QUOTE, quote_subject(contact_id, send_id), QUOTE_TTL_SECONDS)
        ),
    )
