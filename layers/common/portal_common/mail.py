"""Emails: templated HTML + text, sent through SES v2 with the configuration set.

Templates are ``emails/<name>.subject.txt``, ``emails/<name>.txt`` and ``emails/<name>.html``
(Jinja2, HTML autoescaped) in the shared or a portal's template folder. Messages are built as MIME
(the standard library's EmailMessage, strict policy: a header with a line break is refused, so no
header can be injected through a name or address) and sent as Raw content, which keeps our own
headers (List-Unsubscribe) — SES v2 Simple content drops them.
"""

from __future__ import annotations

from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any

from portal_common import aws
from portal_common.errors import BadRequest
from portal_common.settings import Settings, load_settings
from portal_common.web.pages import environment


class _HeaderClasses(HeaderRegistry):
    """The stdlib registry, with the header classes it makes kept: its ``__getitem__`` builds a new
    class (``type(...)``) for every header of every message, a third of a message's build time."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_STRICT = SMTP.clone(raise_on_defect=True, header_factory=_HeaderClasses())


class MailSettings(Settings):
    mail_from: str
    mail_configuration_set: str


def _clean_header(value: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise BadRequest("An email header may not contain line breaks.")
    return value


def build_message(
    to: list[str],
    template: str,
    context: dict[str, Any],
    *,
    sender: str,
    headers: dict[str, str] | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    env = environment()
    subject = env.get_template(f"emails/{template}.subject.txt").render(**context).strip()
    text = env.get_template(f"emails/{template}.txt").render(**context)
    html = env.get_template(f"emails/{template}.html").render(**context)
    msg = EmailMessage(policy=_STRICT)
    msg["Subject"] = _clean_header(subject)
    msg["From"] = _clean_header(sender)
    try:
        msg["To"] = [Address(addr_spec=_clean_header(addr)) for addr in to]
    except (ValueError, IndexError) as exc:
        raise BadRequest("An email address is not valid.") from exc
    if reply_to:
        msg["Reply-To"] = _clean_header(reply_to)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in (headers or {}).items():
        msg[name] = _clean_header(value)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send_email(
    to: list[str] | str,
    template: str,
    context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    reply_to: str | None = None,
) -> str:
    """Render and send; returns SES's message id."""
    settings = load_settings(MailSettings)
    recipients = [to] if isinstance(to, str) else list(to)
    msg = build_message(recipients, template, context, sender=settings.mail_from, headers=headers, reply_to=reply_to)
    answer = aws.client("sesv2").send_email(
        FromEmailAddress=settings.mail_from,
        Destination={"ToAddresses": recipients},
        Content={"Raw": {"Data": msg.as_bytes()}},
        ConfigurationSetName=settings.mail_configuration_set,
    )
    return str(answer["MessageId"])
