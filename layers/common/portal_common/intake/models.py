"""The intake form's fields and rules, shared by the Partners portal (RPH) and Leadworks (leads).

The same rules as the CRM's own form: who the customer is and how to reach them, where the
property is, and what the problem is. Photos travel separately (portal_common.intake.photos).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from portal_common.email_address import EmailAddress
from portal_common.web.errors import field_errors_of

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
    code = value.upper()
    if code not in US_STATES:
        raise ValueError("Enter the two-letter state code, e.g. NY")
    return code


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"[0-9+().\-\s]{7,25}", value) or not 7 <= len(digits) <= 15:
        raise ValueError("Enter a phone number of 7 to 15 digits")
    return value


def _one_line(value: str) -> str:
    return " ".join(value.split())


Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Name = Annotated[Text, StringConstraints(min_length=2, max_length=120), AfterValidator(_one_line)]
ZipCode = Annotated[Text, AfterValidator(_zip)]
StateCode = Annotated[Text, StringConstraints(min_length=2, max_length=2), AfterValidator(_state)]
Phone = Annotated[Text, StringConstraints(max_length=25), AfterValidator(_phone)]
Email = Annotated[EmailAddress, AfterValidator(str.lower)]


def zip5(zip_code: str) -> str:
    """The 5-digit ZIP a ZIP+4 belongs to (routing is by the 5-digit ZIP)."""
    return zip_code.split("-", 1)[0]


class IntakeFields(BaseModel):
    """What the intake form asks for (the same in the CRM, the Partners portal and Leadworks)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    customer_name: Name = Field(description="The customer: a person or a company")
    contact_name: Annotated[Text, StringConstraints(max_length=120), AfterValidator(_one_line)] = Field(
        default="", description="Who to ask for, if not the customer"
    )
    email: Email
    phone: Phone | None = None
    street: Annotated[Text, StringConstraints(min_length=3, max_length=200)]
    city: Annotated[Text, StringConstraints(min_length=2, max_length=100)]
    state: StateCode
    zip: ZipCode
    problem_description: Annotated[Text, StringConstraints(min_length=10, max_length=4000)]


FIELD_LABELS = {
    "customer_name": "Customer",
    "contact_name": "Contact person",
    "email": "Email",
    "phone": "Phone",
    "street": "Street address",
    "city": "City",
    "state": "State",
    "zip": "ZIP code",
    "problem_description": "Problem description",
}


REQUIRED_MESSAGES = {
    "customer_name": "Enter the customer's name",
    "email": "Enter an email address",
    "street": "Enter the street address of the property",
    "city": "Enter the city",
    "state": "Enter the two-letter state code, e.g. NY",
    "zip": "Enter the ZIP code",
    "problem_description": "Describe the problem",
}


def _friendly(field: str, message: str) -> str:
    if message == "Field required":
        return REQUIRED_MESSAGES.get(field, "This field is required")
    if message.startswith("String should have at least"):
        return f"{FIELD_LABELS.get(field, 'This')} is too short ({message.removeprefix('String should have ')})"
    if message.startswith("String should have at most"):
        return f"{FIELD_LABELS.get(field, 'This')} is too long ({message.removeprefix('String should have ')})"
    if "email address" in message:
        return "Enter an email address like name@example.com"
    return message


def parse_intake(form: dict[str, Any]) -> tuple[IntakeFields | None, dict[str, str]]:
    """The validated fields, or None and {field: what to fix} to show beside each field."""
    # a field left empty is a missing field (its own message), not a too-short one
    data = {
        k: v for k, v in form.items() if k in IntakeFields.model_fields and not (isinstance(v, str) and not v.strip())
    }
    try:
        return IntakeFields.model_validate(data), {}
    except ValidationError as exc:
        errors = field_errors_of(exc.errors(include_input=False))  # type: ignore[arg-type]
        return None, {name: _friendly(name, msg) for name, msg in errors.items()}
