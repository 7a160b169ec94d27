"""External proposals: the CRM's request, the stored proposal, and what a partner is shown."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, computed_field

from portal_common.intake.models import Email, Phone, StateCode, ZipCode, zip5

ProposalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{3,40}$")]


def _one_line(value: str) -> str:
    # a name or title goes into email subjects and page titles: a line break there is an injected header
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("10000000"), decimal_places=2),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
]
Quantity = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000"), decimal_places=3),
    PlainSerializer(lambda v: f"{v.normalize():f}", return_type=str),
]
Status = Literal["new", "reviewed", "sent", "accepted", "declined"]
VISIBLE_STATUSES = ("sent", "accepted", "declined")  # what a partner may ever see


def new_proposal_id() -> str:
    return f"EP-{secrets.randbelow(10**8):08d}"


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces: how names are matched (owner, opportunity)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class Person(BaseModel):
    name: Line
    email: Email | None = None
    phone: Phone | None = None


class StaffMember(BaseModel):
    name: Line
    email: Email


class Address(BaseModel):
    street: Line
    city: Line
    state: StateCode
    zip: ZipCode

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.zip}"


class ProductLine(BaseModel):
    product: Line
    quantity: Quantity
    unit_price: Money

    @computed_field  # type: ignore[prop-decorator]
    @property
    def line_total(self) -> Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class ProposalRequest(BaseModel):
    """POST /crm/proposals: what the CRM knows about an out-of-scope job."""

    model_config = ConfigDict(extra="forbid")

    proposal_id: ProposalId | None = Field(default=None, description="the CRM's id; made up if absent")
    opportunity_name: Line
    account_name: Line
    account_owner: Line = Field(description="the CRM user who owns the account")
    account_manager: StaffMember = Field(description="reviews the proposal and sends it to the partner")
    customer: Person
    contact: Person | None = Field(default=None, description="who to ask for on site, if not the customer")
    property_address: Address
    products: list[ProductLine] = Field(min_length=1, max_length=100)
    surveyor_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)] = ""


class Image(BaseModel):
    image_id: str
    key: str
    thumb_key: str
    content_type: str
    size: int
    width: int
    height: int
    uploaded_at: datetime


class PartnerResponse(BaseModel):
    decision: Literal["accepted", "declined"]
    reason: str = ""
    at: datetime
    by: str


class Proposal(BaseModel):
    """A proposal as stored (ProposalsTable PROPOSAL#<id>/PROPOSAL)."""

    proposal_id: str
    status: Status
    partner_id: str | None = Field(default=None, description="None: no partner holds the ZIP (unassigned)")
    zip: str
    opportunity_name: str
    account_name: str
    account_owner: str
    account_manager: StaffMember
    customer: Person
    contact: Person | None = None
    property_address: Address
    products: list[ProductLine]
    surveyor_notes: str = ""
    created_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    sent_at: datetime | None = None
    notice_message_id: str | None = None
    response: PartnerResponse | None = None
    images: list[Image] = Field(default_factory=list)

    @property
    def assigned(self) -> bool:
        return self.partner_id is not None

    def visible_to(self, partner_id: str) -> bool:
        """A partner sees a proposal only once it was sent to it, and never anyone else's."""
        return self.partner_id == partner_id and self.sent_at is not None and self.status in VISIBLE_STATUSES

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]:
        return sum((line.line_total for line in self.products), Decimal("0.00"))

    @staticmethod
    def routing_zip(address: Address) -> str:
        return zip5(address.zip)


class ProposalSummary(BaseModel):
    """One row of a partner's list."""

    proposal_id: str
    opportunity_name: str
    account_name: str
    account_owner: str
    status: Status
    zip: str
    city: str
    sent_at: datetime


class ProposalPage(BaseModel):
    items: list[ProposalSummary]
    next_cursor: str | None = None


class UploadAnswer(BaseModel):
    """A presigned POST: send ``fields`` then the file (as ``file``, last) to ``url``."""

    image_id: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class ImageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewed_by: Email = Field(description="the account manager who reviewed it")


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewed_by: Email | None = Field(default=None, description="marks it reviewed first, if it is not yet")


class SendAnswer(BaseModel):
    proposal_id: str
    status: Status
    sent_at: datetime
    email_sent_now: bool = Field(
        description="false when the notice had already gone: sending again never duplicates it"
    )


class Decline(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class UncoveredZip(BaseModel):
    zip: str
    proposals: list[str]
    oldest: datetime
    newest: datetime


class UncoveredReport(BaseModel):
    zips: list[UncoveredZip]
    next_cursor: str | None = None
