"""Email addresses in request models: pydantic's EmailStr, minus its cold-start cost.

pydantic imports email-validator as soon as a model with an EmailStr field is defined; that import
compiles the validator's Unicode regexes, about 50 ms of every cold start, also in the many
functions that define such a model but validate no address (a list page importing its portal's
models). ``EmailAddress`` is EmailStr with the same validation, errors and JSON schema (format:
email); email-validator is imported by pydantic on the first address validated instead.

Validating an address costs ~0.1 ms (email-validator's syntax and IDNA checks), and the same
addresses come back again and again: every lead of a list page, a partner on every page, each read
of a stored record. The check is a pure function of the text, so its answers are kept per process
(the last 4,096 valid addresses); an invalid address is checked, and refused, every time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import EmailStr, GetCoreSchemaHandler
from pydantic_core import core_schema


class EmailAddress(EmailStr):
    @classmethod
    def __get_pydantic_core_schema__(cls, _source: type[Any], _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # EmailStr's own schema, without its eager import_email_validator(): EmailStr._validate
        # (pydantic.networks.validate_email) imports it when it first runs
        return core_schema.no_info_after_validator_function(_validate, core_schema.str_schema())


# EmailStr's own (private) validator, its valid answers kept: lru_cache does not keep exceptions
_validate = lru_cache(maxsize=4096)(EmailStr._validate)  # type: ignore[attr-defined]
