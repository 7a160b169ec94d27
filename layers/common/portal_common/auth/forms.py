"""What the sign-in pages accept (request models). Errors are worded for the page, beside each field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from portal_common.auth.passwords import password_problem

EmailText = Annotated[str, Field(max_length=254)]


def _email(value: str) -> str:
    value = value.strip()
    local, _, domain = value.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in value):
        raise PydanticCustomError("email", "Enter your email address, like name@example.com.")
    return value


def _new_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise PydanticCustomError("password_rules", problem)
    return value


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=1000)


class SignInForm(_Form):
    email: EmailText
    password: Annotated[str, Field(max_length=256)]

    _check_email = field_validator("email")(_email)

    @field_validator("password")
    @classmethod
    def _present(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("required", "Enter your password.")
        return value


class _NewPassword(_Form):
    new_password: Annotated[str, Field(max_length=256)]
    confirm_password: Annotated[str, Field(max_length=256)]

    _check_new = field_validator("new_password")(_new_password)

    @field_validator("confirm_password")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "new_password" in info.data and value != info.data["new_password"]:
            raise PydanticCustomError("mismatch", "The two passwords are not the same.")
        return value


class NewPasswordForm(_NewPassword):
    pass


class ForgotPasswordForm(_Form):
    email: EmailText

    _check_email = field_validator("email")(_email)


class ResetPasswordForm(_NewPassword):
    email: EmailText
    code: Annotated[str, Field(max_length=64)]

    _check_email = field_validator("email")(_email)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise PydanticCustomError("required", "Enter the code from our email.")
        return value
