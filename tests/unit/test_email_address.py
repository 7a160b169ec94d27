"""EmailAddress is pydantic's EmailStr with email-validator imported on first use, not at import."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from local.template import ROOT
from portal_common.email_address import EmailAddress


class Ours(BaseModel):
    email: EmailAddress


class Pydantics(BaseModel):
    email: EmailStr


@pytest.mark.parametrize(
    "value",
    [
        "Ann.Example@Example.COM",
        "  pat@example.com ",
        "Pat <pat@example.com>",
        "ann@bücher.de",
        "not-an-email",
        "a@b",
        "",
    ],
)
def test_it_validates_exactly_as_email_str(value: str) -> None:
    # Given the same input for an EmailAddress field and an EmailStr field
    def outcome(model: type[BaseModel]) -> object:
        try:
            return model.model_validate({"email": value}).model_dump()
        except ValidationError as exc:
            return exc.errors(include_url=False)

    # Then both accept it with the same value, or refuse it with the same errors
    assert outcome(Ours) == outcome(Pydantics)


def test_its_json_schema_is_email_str_s() -> None:
    assert Ours.model_json_schema()["properties"]["email"] == Pydantics.model_json_schema()["properties"]["email"]


def test_defining_a_model_does_not_import_email_validator_and_validating_does() -> None:
    # Given a fresh interpreter with the layer on its path
    code = (
        "import sys\n"
        "from pydantic import BaseModel\n"
        "from portal_common.email_address import EmailAddress\n"
        "class M(BaseModel):\n"
        "    email: EmailAddress\n"
        "print('email_validator' in sys.modules)\n"
        "M(email='ann@example.com')\n"
        "print('email_validator' in sys.modules)\n"
    )
    # When a model is defined, then an address validated
    answer = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "layers" / "common")},
    )
    # Then email-validator loads only for the validation
    assert answer.stdout.split() == ["False", "True"]


def test_a_valid_address_is_checked_once_and_an_invalid_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import pydantic.networks

    from portal_common import email_address

    expected = Pydantics(email="Lee@Example.com").email
    checked: list[str] = []
    real = pydantic.networks.validate_email
    monkeypatch.setattr(pydantic.networks, "validate_email", lambda value: checked.append(value) or real(value))
    email_address._validate.cache_clear()
    # Given an address read three times (a list page, then the same page again), and a bad one twice
    for _ in range(3):
        assert Ours(email="Lee@Example.com").email == expected
    for _ in range(2):
        with pytest.raises(ValidationError):
            Ours(email="lee@@example.com")
    # Then the valid one was checked by email-validator once, the invalid one each time
    assert checked.count("Lee@Example.com") == 1
    assert checked.count("lee@@example.com") == 2
    email_address._validate.cache_clear()
