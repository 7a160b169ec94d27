"""The two portals people sign in to, and what differs between them (nothing else does)."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.events import ActorKind, Portal


@dataclass(frozen=True)
class PortalAuth:
    portal: Portal  # URL prefix and the portal named in CRM events
    kind: ActorKind  # who signs in: the Identity/Actor kind
    name: str  # shown in page titles
    subject_claim: str  # the ID token claim holding what the user owns (partner / advertiser id)
    contact: str  # who to ask when an account needs attention

    @property
    def home(self) -> str:
        """The home page: /<portal>, the only path its route has. An HTTP API does not match a
        trailing slash to a route without one (nor accepts a route ending in one)."""
        return f"/{self.portal}"

    def url(self, page: str) -> str:
        return f"/{self.portal}/{page}"

    def subject(self, subject_id: str) -> str:
        """The CRM event subject for the signed-in organisation, e.g. 'partner:P-1'."""
        return f"{self.kind}:{subject_id}"


PARTNERS = PortalAuth(
    portal="partners",
    kind="partner",
    name="Partners portal",
    subject_claim="custom:partner_id",
    contact="your partner manager",
)

LEADWORKS = PortalAuth(
    portal="leadworks",
    kind="advertiser",
    name="Leadworks",
    subject_claim="custom:advertiser_id",
    contact="your account manager",
)
