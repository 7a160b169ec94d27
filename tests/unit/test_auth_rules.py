"""Sign-in rules without AWS: the access window, session lifetimes, password rules, the forms."""

from __future__ import annotations

from datetime import date

import pytest

from portal_common.auth.access import check_access_window
from portal_common.auth.cookies import challenge_cookie, forget_session, session_cookie
from portal_common.auth.errors import AccessEnded, AccessNotStarted, AccountNotSetUp
from portal_common.auth.forms import ResetPasswordForm, SignInForm
from portal_common.auth.passwords import password_problem
from portal_common.auth.portals import LEADWORKS, PARTNERS
from portal_common.auth.sessions import SessionRecord, end_reason, needs_touch
from portal_common.web import csrf
from portal_common.web.forms import validate

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), ("", ""), ("2026-11-22", None), (None, "2026-11-22"), ("2026-01-01", "2026-12-31")],
)
def test_inside_the_window_both_days_included(start: str | None, end: str | None) -> None:
    check_access_window(PARTNERS, start, end, TODAY)


def test_before_the_first_day() -> None:
    with pytest.raises(AccessNotStarted) as refused:
        check_access_window(PARTNERS, "2026-11-23", None, TODAY)
    assert "starts on November 23, 2026" in refused.value.message
    assert "your partner manager" in str(refused.value.next_step)


def test_after_the_last_day() -> None:
    with pytest.raises(AccessEnded) as refused:
        check_access_window(LEADWORKS, None, "2026-11-21", TODAY)
    assert "ended on November 21, 2026" in refused.value.message
    assert "your account manager" in str(refused.value.next_step)


def test_a_malformed_date_closes_the_door() -> None:
    with pytest.raises(AccountNotSetUp):
        check_access_window(PARTNERS, "22/11/2026", None, TODAY)


def record(created: int, last_seen: int, expires: int) -> SessionRecord:
    return SessionRecord(
        session_id="s",
        portal="partners",
        user_sub="u",
        subject_id="P-1",
        email="a@example.com",
        created_at=created,
        last_seen=last_seen,
        expires_at=expires,
    )


def test_session_lifetimes() -> None:
    idle, lifetime = 30 * 60, 8 * 3600
    assert end_reason(record(0, 0, lifetime), 29 * 60, idle, lifetime) is None
    assert end_reason(record(0, 0, lifetime), 30 * 60, idle, lifetime) == "idle"
    assert end_reason(record(0, 7 * 3600 + 59 * 60, lifetime), lifetime, idle, lifetime) == "lifetime"
    # a shorter lifetime set later applies to sessions already open
    assert end_reason(record(0, 3 * 3600, lifetime), 3 * 3600 + 1, idle, 3 * 3600) == "lifetime"
    assert not needs_touch(record(0, 100, lifetime), 159)
    assert needs_touch(record(0, 100, lifetime), 160)


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Short1a", "at least 10 characters"),
        ("alllowercase1", "an upper-case letter"),
        ("ALLUPPERCASE1", "a lower-case letter"),
        ("NoDigitsHere", "a digit"),
    ],
)
def test_password_rules_say_what_is_missing(password: str, missing: str) -> None:
    assert missing in str(password_problem(password))


def test_a_good_password_passes() -> None:
    assert password_problem("Good-Password-2026") is None


def test_form_errors_are_worded_for_the_page_and_never_echo_the_input() -> None:
    form, errors = validate(SignInForm, {"email": "not an email", "password": ""})
    assert form is None
    assert errors == {"email": "Enter your email address, like name@example.com.", "password": "Enter your password."}
    form, errors = validate(
        ResetPasswordForm,
        {"email": "a@example.com", "code": " ", "new_password": "Secret-Pass-1", "confirm_password": "Secret-Pass-2"},
    )
    assert form is None
    assert errors == {
        "code": "Enter the code from our email.",
        "confirm_password": "The two passwords are not the same.",
    }
    assert "Secret-Pass" not in str(errors)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/partners/rph", "partners-csrf"),
        ("/leadworks", "leadworks-csrf"),
        ("/payments/pay/abc", "payments-csrf"),
        ("/", "csrf"),  # the Info site's pages, on their function URLs
        ("", "csrf"),
        ("/a b/x", "csrf"),  # never a cookie name from odd characters
        ("/é/x", "csrf"),
    ],
)
def test_each_part_of_the_site_has_its_own_csrf_cookie(path: str, name: str) -> None:
    assert csrf.cookie_name(path) == name


def test_each_portal_has_its_own_sign_in_cookies() -> None:
    # Given both portals' cookies
    names = {
        cookie.name
        for portal in (PARTNERS.portal, LEADWORKS.portal)
        for cookie in (session_cookie(portal, "t", 60), challenge_cookie(portal, "c", 60), forget_session(portal))
    }
    # Then none is shared, and all are __Host- cookies
    assert names == {
        "__Host-partners-session",
        "__Host-partners-challenge",
        "__Host-leadworks-session",
        "__Host-leadworks-challenge",
    }
