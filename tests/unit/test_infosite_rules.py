"""Info site rules, no AWS: what a quote request becomes, the quote form's checks, RFC 8058 one-click
recognition, the links' subjects and headers, and the nurture email as rendered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.infosite.infosite.contacts import Contact, ContactUpsert, masked_email
from functions.infosite.infosite.link_subjects import parse_quote_subject, quote_subject
from functions.infosite.infosite.nurture import NurtureEmailOrder, NurtureSendRequest
from functions.infosite.infosite.nurture_links import NurtureLinks, _with_token
from functions.infosite.infosite.one_click import is_one_click
from functions.infosite.infosite.quotes import PHONE_NEEDED, QuoteForm, friendly_errors, record_kind
from local.template import ROOT
from portal_common.errors import LinkInvalid
from portal_common.web.forms import validate


def contact(**overrides: Any) -> Contact:
    return Contact.model_validate(
        {"id": "c-1", "name": "Pat", "email": "pat@example.com", "kind": "prospect", **overrides}
    )


# -- lead or opportunity -----------------------------------------------------------------------
def test_a_prospect_asking_for_a_quote_becomes_a_lead() -> None:
    assert record_kind(contact(kind="prospect")) == "lead"


def test_a_customer_asking_for_a_quote_becomes_an_opportunity() -> None:
    assert record_kind(contact(kind="customer")) == "opportunity"


# -- the quote form ----------------------------------------------------------------------------
FORM = {
    "name": "Pat",
    "email": "pat@example.com",
    "phone": "",
    "company": "",
    "needs": "A new drive",
    "contact_by": "email",
}


def test_a_minimal_form_is_valid_and_blank_optional_fields_become_none() -> None:
    form, errors = validate(QuoteForm, FORM)
    assert errors == {}
    assert form is not None and form.phone is None and form.company is None and form.best_time == ""


def test_asking_for_a_call_needs_a_phone_number_beside_the_phone_field() -> None:
    form, errors = validate(QuoteForm, {**FORM, "contact_by": "phone"})
    assert form is None
    assert friendly_errors(errors) == {"phone": PHONE_NEEDED}


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("needs", "   "), ("phone", "call me maybe"), ("name", ""), ("contact_by", "fax")],
)
def test_each_bad_field_gets_a_message_in_plain_words(field: str, value: str) -> None:
    _, errors = validate(QuoteForm, {**FORM, field: value})
    messages = friendly_errors(errors)
    assert list(messages) == [field]
    assert messages[field].startswith("Please")


def test_the_crm_upsert_refuses_unknown_fields_and_kinds() -> None:
    _, errors = validate(ContactUpsert, {"name": "Pat", "email": "pat@example.com", "kind": "lead", "x": 1})
    assert set(errors) == {"kind", "x"}


def test_a_nurture_order_is_for_the_nurture_p2_campaign_only() -> None:
    _, errors = validate(NurtureEmailOrder, {"contact_id": "c-1", "campaign": "Summer sale", "step": 1})
    assert set(errors) == {"campaign"}
    request = NurtureSendRequest(contact_id="c-1", step=3)
    assert request.campaign == "Nurture P2" and len(request.send_id) == 32


def test_the_masked_email_shows_the_first_letter_and_the_domain() -> None:
    assert masked_email("pat@example.com") == "p•••@example.com"


# -- link subjects and headers -----------------------------------------------------------------
def test_a_quote_link_subject_names_the_contact_and_the_email() -> None:
    assert parse_quote_subject(quote_subject("c-1", "send-9")) == ("c-1", "send-9")
    with pytest.raises(LinkInvalid):
        parse_quote_subject("c-1")


def test_the_unsubscribe_headers_follow_rfc_8058() -> None:
    links = NurtureLinks(
        unsubscribe_url=_with_token("https://abc.lambda-url.us-east-1.on.aws/", "T.S"),
        quote_url=_with_token("https://def.lambda-url.us-east-1.on.aws/", "Q.S"),
    )
    assert links.headers == {
        "List-Unsubscribe": "<https://abc.lambda-url.us-east-1.on.aws/?token=T.S>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# -- one-click recognition ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        ("application/x-www-form-urlencoded; charset=utf-8", b"List-Unsubscribe=One-Click&x=1", True),
        ("application/x-www-form-urlencoded", b"csrf_token=abc", False),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=Two-Clicks", False),
        (
            "multipart/form-data; boundary=B",
            b'--B\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--B--\r\n',
            True,
        ),
        (
            "multipart/form-data; boundary=B",
            b'--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--B--\r\n',
            False,
        ),
        ("text/plain", b"List-Unsubscribe=One-Click", False),
        ("application/x-www-form-urlencoded", b"\xff\xfe", False),
    ],
)
def test_one_click_posts_are_recognised(content_type: str, body: bytes, expected: bool) -> None:
    assert is_one_click(content_type, body) is expected


# -- the nurture email as rendered -------------------------------------------------------------
@pytest.fixture
def page_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from portal_common.settings import load_settings
    from portal_common.web import pages

    for name, value in {"STAGE": "dev", "COMPANY_NAME": "Northfield", "POWERTOOLS_SERVICE_NAME": "infosite"}.items():
        monkeypatch.setenv(name, value)
    load_settings.cache_clear()
    pages.add_template_dir(ROOT / "functions" / "infosite" / "templates")
    yield
    load_settings.cache_clear()
    pages.environment.cache_clear()


def test_the_nurture_email_carries_both_links_in_html_and_text(page_settings: None) -> None:
    from portal_common.mail import build_message

    links = NurtureLinks(unsubscribe_url="https://u.example/?token=U.1", quote_url="https://q.example/?token=Q.1")
    context = {"name": "Ann", "company": None, "is_customer": False, "step": 1, **vars(links)}
    message = build_message(
        ["ann@example.com"], "nurture_p2", context, sender="portals@example.com", headers=links.headers
    )
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    for part in (html, text):
        assert "https://u.example/?token=U.1" in part and "https://q.example/?token=Q.1" in part
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("Ann,")


def test_kept_header_classes_build_the_very_same_message_bytes(
    page_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from email.policy import SMTP

    from portal_common import mail

    # Given a fixed date and message id, and a message with every kind of header we send
    monkeypatch.setattr(mail, "formatdate", lambda usegmt: "Sun, 22 Nov 2026 10:00:00 GMT")
    monkeypatch.setattr(mail, "make_msgid", lambda domain: f"<fixed@{domain}>")
    monkeypatch.setattr("email.generator.random.randrange", lambda _n: 42)  # the MIME boundary
    links = NurtureLinks(unsubscribe_url="https://u.example/?token=U.1", quote_url="https://q.example/?token=Q.1")
    context = {"name": "Zoë Ünal", "company": "Ünal & Söhne", "is_customer": True, "step": 2, **vars(links)}

    def built() -> bytes:
        return mail.build_message(
            ["zoe@example.com", "ops@example.com"],
            "nurture_p2",
            context,
            sender="Portals <portals@example.com>",
            headers=links.headers,
            reply_to="help@example.com",
        ).as_bytes()

    ours = built()
    # When the same message is built with the stdlib's own (strict SMTP) policy
    monkeypatch.setattr(mail, "_STRICT", SMTP.clone(raise_on_defect=True))
    # Then the bytes are identical, and a second build with ours too (the kept classes hold no state)
    assert built() == ours
    monkeypatch.undo()
