"""Settings: pydantic models read from the function's environment and validated at cold start.

Each function declares the settings it needs as a model whose fields are upper-case environment
variable names (aliases). ``load_settings(Model)`` reads and validates them once per process; a
missing or malformed variable fails the cold start with the variable's name, as it should: the
template forgot to declare it. Nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    """Base class: fields map to environment variables by their upper-case name."""

    model_config = ConfigDict(frozen=True, extra="ignore", alias_generator=str.upper, populate_by_name=True)


class PortalSettings(Settings):
    """What every function has from the template's Globals."""

    stage: Annotated[str, Field(pattern=r"^(dev|prod)$")]
    company_name: str
    logo_url: str = ""
    powertools_service_name: str


SettingsT = TypeVar("SettingsT", bound=Settings)


class SettingsError(RuntimeError):
    """The environment does not satisfy a settings model (raised at cold start)."""


@cache
def load_settings(model: type[SettingsT]) -> SettingsT:
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as exc:
        missing = ", ".join(str(err["loc"][0]) for err in exc.errors() if err.get("loc"))
        raise SettingsError(f"{model.__name__}: environment variable(s) missing or invalid: {missing}") from exc
