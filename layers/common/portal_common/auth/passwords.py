"""The password rules of both user pools (template.yaml: MinimumLength 10, upper, lower, digit),
checked here first so the form can say which rule failed, beside the field; Cognito checks again."""

from __future__ import annotations

PASSWORD_RULES = "At least 10 characters, with an upper-case letter, a lower-case letter and a digit."  # noqa: S105 - the rules, not a password
MIN_LENGTH = 10


def password_problem(value: str) -> str | None:
    """What is wrong with a new password (None when it follows the rules)."""
    missing = []
    if len(value) < MIN_LENGTH:
        missing.append(f"at least {MIN_LENGTH} characters")
    if not any(c.isupper() for c in value):
        missing.append("an upper-case letter")
    if not any(c.islower() for c in value):
        missing.append("a lower-case letter")
    if not any(c.isdigit() for c in value):
        missing.append("a digit")
    if not missing:
        return None
    return "The password needs " + ", ".join(missing) + "."
