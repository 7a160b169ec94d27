"""Request models the peers validate with pydantic, as our functions do (the same constraints)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "PR",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)


def _zip(value: str) -> str:
    if not re.fullmatch(r"\d{5}(-\d{4})?", value):
        raise ValueError("Enter a ZIP code of 5 digits (or ZIP+4, e.g. 12345-6789)")
    return value


def _state(value: str) -> str:
    if value.upper() not in US_STATES:
        raise ValueError("Enter the two-letter state code, e.g. NY")
    return value.upper()


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"[0-9+().\-\s]{7,25}", value) or not 7 <= len(digits) <= 15:
        raise ValueError("Enter a phone number of 7 to 15 digits")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Name = Annotated[Text, StringConstraints(min_length=2, max_length=120)]
ZipCode = Annotated[Text, AfterValidator(_zip)]
StateCode = Annotated[Text, StringConstraints(min_length=2, max_length=2), AfterValidator(_state)]
Phone = Annotated[Text, StringConstraints(max_length=25), AfterValidator(_phone)]
Email = Annotated[EmailStr, AfterValidator(str.lower)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class IntakeFields(BaseModel):
    """The intake form (Partners RPH, Leadworks lead)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    customer_name: Name
    contact_name: Annotated[Text, StringConstraints(max_length=120)] = ""
    email: Email
    phone: Phone | None = None
    street: Annotated[Text, StringConstraints(min_length=3, max_length=200)]
    city: Annotated[Text, StringConstraints(min_length=2, max_length=100)]
    state: StateCode
    zip: ZipCode
    problem_description: Annotated[Text, StringConstraints(min_length=10, max_length=4000)]


def intake_of(form: dict[str, str]) -> dict[str, str]:
    """An empty field is a missing one."""
    return {k: v for k, v in form.items() if k in IntakeFields.model_fields and v.strip()}


class Person(BaseModel):
    name: Line
    email: Email | None = None
    phone: Phone | None = None


class Address(BaseModel):
    street: Line
    city: Line
    state: StateCode
    zip: ZipCode


MAX_PHOTOS = 10
UPLOAD_SECONDS = 600
VIEW_SECONDS = 300
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_HEADS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def is_image(head: bytes) -> bool:
    return head.startswith(IMAGE_HEADS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


class Draft(BaseModel):
    """An intake form's photo draft: uploads/intake/<owner>/<draft id>/<photo id>."""

    owner: Annotated[str, StringConstraints(pattern=r"^[a-z]+-[A-Za-z0-9_-]{1,64}$")]
    draft_id: Annotated[str, Field(pattern=r"^[a-z0-9]{24}$")]

    @property
    def prefix(self) -> str:
        return f"uploads/intake/{self.owner}/{self.draft_id}/"
