"""Partners portal rules without AWS: the intake form, partner and proposal models, who sees what,
quick ranges, cursors, index keys, image checks."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from local.inprocess import _forget_function_modules
from local.template import ROOT
from portal_common import images
from portal_common.errors import BadRequest
from portal_common.intake.models import parse_intake
from tests.support.partners import jpeg_bytes, png_bytes, proposal_body


@pytest.fixture(autouse=True)
def partners_code(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Partners portal's modules as its functions import them (CodeUri functions/partners/)."""
    _forget_function_modules()
    monkeypatch.syspath_prepend(str(ROOT / "functions" / "partners"))
    yield
    _forget_function_modules()


def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def models() -> Any:
    return module("proposals.models")


GOOD_INTAKE = {
    "customer_name": "  Jane   Doe ",
    "email": "Jane@Example.COM",
    "phone": "",
    "street": "1 Main Street",
    "city": "Albany",
    "state": "ny",
    "zip": "12207-1234",
    "problem_description": "The back wall is cracked from top to bottom.",
}


def proposal(**overrides: object) -> Any:
    request = models().ProposalRequest.model_validate(proposal_body("10001"))
    values = {
        **request.model_dump(exclude={"proposal_id"}),
        "proposal_id": "EP-1",
        "status": "sent",
        "partner_id": "ptn-a",
        "zip": "10001",
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "sent_at": datetime(2026, 11, 2, tzinfo=UTC),
    }
    values.update(overrides)
    return models().Proposal.model_validate(values)


def test_the_intake_form_normalises_what_it_accepts() -> None:
    fields, errors = parse_intake(GOOD_INTAKE)
    assert errors == {} and fields is not None
    assert fields.customer_name == "Jane Doe"
    assert fields.email == "jane@example.com"
    assert fields.state == "NY" and fields.zip == "12207-1234" and fields.phone is None


def test_the_intake_form_says_what_to_fix_beside_each_field() -> None:
    fields, errors = parse_intake({**GOOD_INTAKE, "email": "jane", "zip": "1220", "state": "XX", "customer_name": ""})
    assert fields is None
    assert errors["customer_name"] == "Enter the customer's name"
    assert errors["email"].startswith("Enter an email address")
    assert errors["zip"].startswith("Enter a ZIP code of 5 digits")
    assert errors["state"].startswith("Enter the two-letter state code")
    _, errors = parse_intake({**GOOD_INTAKE, "problem_description": "short", "phone": "12"})
    assert "too short" in errors["problem_description"] and "phone" in errors


def test_a_partner_has_one_five_digit_zip_and_a_sound_temporary_password() -> None:
    registry = module("registry.models")
    PartnerRegistration, PartnerChanges = registry.PartnerRegistration, registry.PartnerChanges
    partner = PartnerRegistration(company_name="Paving Co", email="P@Example.com", zip="10001-2345")
    assert partner.zip == "10001" and partner.email == "p@example.com"
    with pytest.raises(ValidationError):
        PartnerRegistration(company_name="Paving Co", email="p@example.com", zip="1000")
    with pytest.raises(ValidationError):
        PartnerRegistration(
            company_name="Paving Co", email="p@example.com", zip="10001", temporary_password="alllowercase1"
        )
    with pytest.raises(ValidationError):
        PartnerChanges()
    assert PartnerChanges(zip="10002").model_dump(exclude_unset=True) == {"zip": "10002"}


def test_line_totals_and_the_total_are_exact_money() -> None:
    p = proposal()
    assert [line.line_total for line in p.products] == [Decimal("3612.50"), Decimal("350.00")]
    assert p.total == Decimal("3962.50")
    dumped = p.model_dump(mode="json")
    assert dumped["total"] == "3962.50" and dumped["products"][0]["unit_price"] == "4.25"
    with pytest.raises(ValidationError):
        models().ProposalRequest.model_validate(proposal_body("10001", products=[]))


def test_only_its_partner_sees_a_proposal_and_only_once_sent() -> None:
    assert proposal().visible_to("ptn-a")
    assert not proposal().visible_to("ptn-b")
    assert not proposal(status="reviewed", sent_at=None).visible_to("ptn-a")
    assert not proposal(status="new", sent_at=None, partner_id=None).visible_to("ptn-a")
    assert proposal(status="declined").visible_to("ptn-a")


def test_routing_uses_the_five_digit_zip() -> None:
    request = models().ProposalRequest.model_validate(proposal_body("10001-0042"))
    assert models().Proposal.routing_zip(request.property_address) == "10001"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("today", datetime(2026, 11, 22, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 15, 15, 30, tzinfo=UTC)),
        ("30d", datetime(2026, 10, 23, 15, 30, tzinfo=UTC)),
        ("month", datetime(2026, 11, 1, tzinfo=UTC)),
        ("year", datetime(2026, 1, 1, tzinfo=UTC)),
        ("", None),
    ],
)
def test_quick_ranges_start_where_they_say(name: str, expected: datetime | None) -> None:
    range_start = module("proposals.partner_list").range_start
    assert range_start(name, datetime(2026, 11, 22, 15, 30, tzinfo=UTC)) == expected


def test_a_cursor_is_bound_to_its_index_and_a_forged_one_is_refused() -> None:
    queries = module("proposals.queries")
    cursor = queries.encode_cursor("ByPartner", "2026-11-22T10:00:00.000000Z", "EP-1")
    assert queries.decode_cursor(cursor, "ByPartner") == ("2026-11-22T10:00:00.000000Z", "EP-1")
    for forged, index in ((cursor, "ByPartnerOwner"), ("bm90LWpzb24", "ByPartner"), ("!!", "ByPartner")):
        with pytest.raises(BadRequest):
            queries.decode_cursor(forged, index)


def test_index_keys_match_names_whatever_their_case_and_sort_newest_first_within_a_name() -> None:
    store = module("proposals.store")
    assert models().normalise("  Driveway  RE-paving!") == "driveway re paving"
    assert store.partner_owner_key("ptn-a", "Dana  OWNER") == "PARTNER#ptn-a#OWNER#dana owner"
    older = store.opportunity_sort("Roof job", datetime(2026, 1, 1, tzinfo=UTC))
    newer = store.opportunity_sort("Roof job", datetime(2026, 6, 1, tzinfo=UTC))
    assert newer < older and newer.startswith("roof job#")


def test_images_are_known_by_their_bytes_not_their_name() -> None:
    assert images.sniff(jpeg_bytes()) == "image/jpeg"
    assert images.sniff(png_bytes()) == "image/png"
    assert images.sniff(b"GIF89a....") == "image/gif"
    assert images.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert images.sniff(b"<html><script>") is None
    assert images.sniff(b"%PDF-1.7") is None


def test_a_thumbnail_is_small_upright_jpeg_and_a_fake_image_is_refused() -> None:
    thumb = images.make_thumbnail(jpeg_bytes(1600, 900))
    assert (thumb.width, thumb.height) == (1600, 900)
    assert images.sniff(thumb.data) == "image/jpeg"
    with pytest.raises(images.NotAnImage):
        images.make_thumbnail(b"\xff\xd8\xff" + b"not really a jpeg" * 10)


def test_the_demo_seed_makes_real_pngs_without_an_imaging_library() -> None:
    from local.portals.partners import png

    data = png(64, 48, (0, 0, 0), (255, 255, 255))
    assert images.sniff(data) == "image/png"
    assert (images.make_thumbnail(data).width, images.make_thumbnail(data).height) == (64, 48)
