"""Signed links: HMAC over purpose, subject and expiry; rotation keeps old links valid."""

import pytest

from portal_common.errors import LinkExpired, LinkInvalid
from portal_common.keys import KeyRing, rotated
from portal_common.links import sign_link, verify_link

RING = KeyRing({"current_id": "k1", "secret": "first-secret-value"})


def test_a_signed_link_verifies_for_its_purpose() -> None:
    # Given a pay link for invoice INV-1
    token = sign_link("pay", "INV-1", 3600, ring=RING)
    # When it is verified
    claims = verify_link(token, "pay", ring=RING)
    # Then it names the invoice
    assert claims.subject == "INV-1"


def test_every_one_character_change_is_refused() -> None:
    # Given a valid link
    token = sign_link("unsubscribe", "contact-7", 3600, ring=RING)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    # When any one character is replaced by any other (incl. base64's spare bits at the end)
    for position in range(len(token)):
        for replacement in alphabet:
            if replacement == token[position]:
                continue
            changed = token[:position] + replacement + token[position + 1 :]
            # Then it is refused
            with pytest.raises(LinkInvalid):
                verify_link(changed, "unsubscribe", ring=RING)


def test_a_link_for_another_purpose_is_refused() -> None:
    token = sign_link("quote", "contact-7", 3600, ring=RING)
    with pytest.raises(LinkInvalid):
        verify_link(token, "unsubscribe", ring=RING)


def test_an_expired_link_is_gone_and_says_what_to_do() -> None:
    token = sign_link("pay", "INV-1", 60, ring=RING, now=1_000_000)
    with pytest.raises(LinkExpired) as info:
        verify_link(token, "pay", ring=RING, now=1_000_061, expired_next_step="Ask for a new invoice link.")
    assert info.value.status == 410
    assert info.value.next_step == "Ask for a new invoice link."


def test_during_a_rotation_old_links_verify_and_new_ones_use_the_new_key() -> None:
    old_token = sign_link("pay", "INV-1", 3600, ring=RING)
    new_ring = KeyRing(rotated({"current_id": "k1", "secret": "first-secret-value"}, "k2", "second-secret"))
    assert verify_link(old_token, "pay", ring=new_ring).subject == "INV-1"
    new_token = sign_link("pay", "INV-2", 3600, ring=new_ring)
    assert '"k":"k2"' in __import__("base64").urlsafe_b64decode(new_token.split(".")[0] + "==").decode()
    # and once the old key is retired, old links stop working
    retired = KeyRing({"current_id": "k2", "secret": "second-secret"})
    with pytest.raises(LinkInvalid):
        verify_link(old_token, "pay", ring=retired)


def test_garbage_is_refused_not_crashed() -> None:
    for junk in ["", ".", "abc", "a.b.c", "%%%.%%%", "eyJ9.AAAA"]:
        with pytest.raises(LinkInvalid):
            verify_link(junk, "pay", ring=RING)
