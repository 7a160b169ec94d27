"""Leadworks rules without AWS: the email key, reading archived mail, reading a CSV upload."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import ModuleType

import pytest

from local.inprocess import _forget_function_modules
from local.template import ROOT
from portal_common.errors import BadRequest, PayloadTooLarge, ValidationFailed

HEADER = "customer_name,email,street,city,state,zip,problem_description"


@pytest.fixture
def leadworks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], ModuleType]]:
    """Leadworks' modules as its functions import them (CodeUri functions/leadworks/ on the path)."""
    _forget_function_modules()
    monkeypatch.syspath_prepend(str(ROOT / "functions" / "leadworks"))
    yield importlib.import_module
    _forget_function_modules()


# -- the email key ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spelling",
    [
        "ann.lee@example.com",
        "  Ann.Lee@Example.COM ",
        "ANN.LEE@EXAMPLE.COM\t",
        "\u00a0ann.lee@example.com\u2003",  # no-break space, em space
        "ａｎｎ．ｌｅｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width forms
    ],
)
def test_every_spelling_of_one_address_has_one_key(leadworks: Callable[[str], ModuleType], spelling: str) -> None:
    email_key = leadworks("leads.email_key").email_key
    # Given an address typed with other case, spacing or width
    # Then its key is the one of the plain address
    assert email_key(spelling) == "ann.lee@example.com"


def test_the_key_keeps_what_makes_another_mailbox(leadworks: Callable[[str], ModuleType]) -> None:
    email_key = leadworks("leads.email_key").email_key
    # dots and +tags are different mailboxes at most providers: not folded away
    assert email_key("ann.lee+ads@example.com") != email_key("annlee@example.com")
    assert email_key("ann.lee+ads@example.com") == "ann.lee+ads@example.com"
    # case folding goes beyond lower(): ß is ss, and an IDN domain has one key in either form
    assert email_key("STRASSE@example.de") == email_key("straße@example.de")
    assert email_key("ann@xn--bcher-kva.de") == email_key("Ann@BÜCHER.de") == "ann@bücher.de"


@pytest.mark.parametrize(
    "bad", ["", "   ", "ann", "ann@", "ann lee@example.com", "ann@@example.com", "a" * 250 + "@x.com"]
)
def test_what_is_not_one_address_has_no_key(leadworks: Callable[[str], ModuleType], bad: str) -> None:
    module = leadworks("leads.email_key")
    with pytest.raises(module.InvalidEmail):
        module.email_key(bad)


# -- archived mail --------------------------------------------------------------------------------
def eml(headers: dict[str, str], body: str = "Hello,\n\nAbout the driveway quote.\n", subtype: str = "plain") -> bytes:
    lines = [f"{name}: {value}" for name, value in headers.items()]
    lines += ["MIME-Version: 1.0", f"Content-Type: text/{subtype}; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


STORED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_an_archived_message_is_found_under_every_address_in_it(leadworks: Callable[[str], ModuleType]) -> None:
    parse = leadworks("correspondence.parsing").parse_message
    # Given a message with From, To, Cc and Reply-To, in mixed case, one address twice, one broken
    raw = eml(
        {
            "Received": "from mx.example.net by inbound-smtp.us-east-1.amazonaws.com; Mon, 3 Nov 2026 09:15:00 +0100",
            "Date": "Sun, 2 Nov 2026 08:00:00 +0000",
            "From": '"Ann Lee" <Ann.Lee@Example.com>',
            "To": "sales@northfield.example, Bob <BOB@example.org>",
            "Cc": "ann.lee@example.com, not-an-address",
            "Reply-To": "ann.private@example.net",
            "Subject": "Re: driveway   quote",
            "Message-ID": "<abc123@example.com>",
        }
    )
    parsed = parse(raw, bucket="archive", key="inbound/m1", stored_at=STORED)
    # Then every valid address is in it once, normalised
    assert parsed.addresses == {
        "ann.lee@example.com",
        "sales@northfield.example",
        "bob@example.org",
        "ann.private@example.net",
    }
    message = parsed.message
    # And it was received when the receiving server says (UTC), not when the sender dated it
    assert message.received_at == datetime(2026, 11, 3, 8, 15, tzinfo=UTC)
    assert (message.from_address, message.from_name) == ("ann.lee@example.com", "Ann Lee")
    assert message.subject == "Re: driveway quote"
    assert message.message_id == "<abc123@example.com>"
    assert message.snippet == "Hello, About the driveway quote."
    assert message.ref().archive_uri == "s3://archive/inbound/m1"


def test_a_message_without_dates_is_dated_by_the_archive_and_html_is_read_as_text(
    leadworks: Callable[[str], ModuleType],
) -> None:
    parse = leadworks("correspondence.parsing").parse_message
    raw = eml({"From": "x@example.com", "To": "y@example.com", "Date": "not a date"}, "<p>Hi <b>there</b></p>", "html")
    message = parse(raw, bucket="b", key="inbound/m2", stored_at=STORED).message
    assert message.received_at == STORED
    assert message.snippet == "Hi there"


def test_garbage_is_a_message_with_no_address_not_an_error(leadworks: Callable[[str], ModuleType]) -> None:
    parse = leadworks("correspondence.parsing").parse_message
    parsed = parse(
        b"\x00\xff not mail at all", bucket="b", key="inbound/AMAZON_SES_SETUP_NOTIFICATION", stored_at=STORED
    )
    assert parsed.addresses == frozenset()


# -- reading a CSV upload ---------------------------------------------------------------------------
def test_a_spreadsheet_export_is_read_with_aliases_separators_and_row_numbers(
    leadworks: Callable[[str], ModuleType],
) -> None:
    read_csv = leadworks("leads.csv_rows").read_csv
    # Given a semicolon-separated Windows-1252 file with a BOM-less header of aliases, a blank row
    # and an extra column
    text = (
        "Customer;E-mail;Address;City;State;ZIP code;Description;Campaign\r\n"
        "José Núñez;jose@example.com;1 Main St;Austin;TX;73301;Roof leaks after rain;fall-2026\r\n"
        ";;;;;;;\r\n"
        "Bea Ortiz;bea@example.com;2 Main St;Austin;TX;73301;Fence fell over;fall-2026\r\n"
    )
    csv_file = read_csv(text.encode("cp1252"))
    # Then the columns are the intake fields, rows numbered as a spreadsheet shows them
    assert [r.number for r in csv_file.rows] == [2, 4]
    assert csv_file.rows[0].values["customer_name"] == "José Núñez"
    assert csv_file.rows[0].values["problem_description"] == "Roof leaks after rain"
    assert csv_file.ignored_columns == ["Campaign"]


def test_a_file_without_the_required_columns_is_refused_as_a_whole(leadworks: Callable[[str], ModuleType]) -> None:
    read_csv = leadworks("leads.csv_rows").read_csv
    with pytest.raises(ValidationFailed) as refused:
        read_csv(b"\xef\xbb\xbfname,email\r\nAnn,ann@example.com\r\n")
    assert "Street address" in refused.value.message and "ZIP code" in refused.value.message


def test_too_many_rows_and_binary_files_are_refused(leadworks: Callable[[str], ModuleType]) -> None:
    csv_rows = leadworks("leads.csv_rows")
    row = "Ann Lee,a{n}@example.com,1 Main St,Austin,TX,73301,Roof leaks after rain\n"
    too_many = HEADER + "\n" + "".join(row.format(n=n) for n in range(csv_rows.MAX_ROWS + 1))
    with pytest.raises(PayloadTooLarge):
        csv_rows.read_csv(too_many.encode())
    with pytest.raises(BadRequest):
        csv_rows.read_csv(b"PK\x03\x04\x00\x00binary")


def test_report_cells_cannot_become_spreadsheet_formulas(leadworks: Callable[[str], ModuleType]) -> None:
    csv_rows = leadworks("leads.csv_rows")
    data = csv_rows.write_csv(
        ["row", "email"], [[2, '=HYPERLINK("http://x")'], [3, "@SUM(A1)"], [4, "ann@example.com"]]
    )
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "\r\n4,ann@example.com\r\n" in text


def test_each_row_is_classified_on_its_own(leadworks: Callable[[str], ModuleType]) -> None:
    csv_rows, uploads = leadworks("leads.csv_rows"), leadworks("leads.uploads")
    # Given valid rows, a repeated address in other case, a bad email and a row missing its city
    text = "\n".join(
        [
            HEADER,
            "Ann Lee,ann@example.com,1 Main St,Austin,TX,73301,Roof leaks after rain",
            "Ann Again, ANN@Example.com ,1 Main St,Austin,TX,73301,Roof leaks after rain",
            "Bob Bad,bob-at-example.com,2 Main St,Austin,TX,73301,Fence fell over",
            "Cy Short,cy@example.com,3 Main St,,TX,73301,Gutter is hanging off",
        ]
    )
    results: dict = {}
    candidates = uploads.classify_rows(csv_rows.read_csv(text.encode()).rows, results)
    # Then only the first row is a candidate; the others each get their result and reason
    assert [(c.row.number, c.key) for c in candidates] == [(2, "ann@example.com")]
    assert results[3].result == "duplicate" and results[3].reason == "Same email address as row 2 of this file"
    assert results[4].result == "invalid" and results[4].reason.startswith("Email:")
    assert results[5].result == "invalid" and "City" in results[5].reason
