"""A lead's key: its email address, normalised. One rule, used wherever an address is compared
(a lead being created, a row of a bulk upload, every address of an archived message).

The rule, in order:

1. Unicode NFKC: compatibility forms become their plain letters — full-width "ＡＮＮ＠ｅｘａｍｐｌｅ．ｃｏｍ",
   ligatures, a no-break space — so that text pasted from anywhere compares equal.
2. Trim: white space (any Unicode white space) before and after is dropped.
3. Case-fold the whole address, local part included (``str.casefold``: "Ann@Example.COM" and
   "ann@example.com" are one lead; "ß" folds to "ss"). RFC 5321 allows a mailbox whose local part is
   case-sensitive, but no mail provider has one, and "Ann@" and "ann@" as two leads is exactly the
   duplicate this key exists to prevent.
4. NFKC once more (case folding can leave a sequence that is not normalised).
5. The result must be one valid address (syntax only, no DNS lookup), at most 254 characters. The
   domain is kept in its Unicode form, so "ann@xn--bcher-kva.de" and "ann@bücher.de" are one key.

Nothing else is changed: dots and "+tags" stay (at most providers they are different mailboxes),
and inner white space makes the address invalid rather than being removed.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """Not one valid email address once normalised; the message says what is wrong."""


def normalise(raw: str) -> str:
    """Steps 1-4 of the rule (no validation): what two spellings of one address have in common."""
    text = unicodedata.normalize("NFKC", raw).strip()
    return unicodedata.normalize("NFKC", text.casefold())


def email_key(raw: str) -> str:
    """The lead key of an address; InvalidEmail when it is not one valid address."""
    text = normalise(raw)
    if not text:
        raise InvalidEmail("Enter an email address")
    if len(text) > MAX_LENGTH:
        raise InvalidEmail("An email address has at most 254 characters")
    try:
        parsed = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"Not a valid email address: {exc}") from None
    local, _, _ = text.rpartition("@")
    return f"{local}@{parsed.domain}"


def is_valid(raw: str) -> bool:
    try:
        email_key(raw)
    except InvalidEmail:
        return False
    return True
