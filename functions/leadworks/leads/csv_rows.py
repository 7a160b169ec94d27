"""Reading a bulk upload: a CSV file of leads, one per row, with a header row naming the columns.

Columns are the intake form's fields (portal_common.intake.models.IntakeFields), named as there or
by a common alias ("Customer", "E-mail", "ZIP code", "Address", ...), in any order and case; other
columns are ignored. UTF-8 (with or without the BOM spreadsheets write), or Windows-1252 as older
spreadsheets save it; comma, semicolon or tab separated. Rows are numbered as a spreadsheet shows
them (the header is row 1); blank rows are skipped.

Writing the report back: every cell that a spreadsheet would run as a formula (=, +, -, @ first)
is quoted with a leading apostrophe, so a report opened in a spreadsheet cannot run what a row held.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from portal_common.errors import BadRequest, PayloadTooLarge, ValidationFailed
from portal_common.intake.models import FIELD_LABELS, IntakeFields

MAX_ROWS = 2000
MAX_BYTES = 4 * 1024 * 1024  # a Lambda request carries 6 MB, and a file upload travels base64-encoded
COLUMNS = tuple(IntakeFields.model_fields)
REQUIRED = tuple(name for name, spec in IntakeFields.model_fields.items() if spec.is_required())
ALIASES = {
    "customer": "customer_name",
    "customer_name": "customer_name",
    "name": "customer_name",
    "contact": "contact_name",
    "contact_person": "contact_name",
    "e_mail": "email",
    "email_address": "email",
    "mail": "email",
    "telephone": "phone",
    "phone_number": "phone",
    "address": "street",
    "street_address": "street",
    "property_address": "street",
    "zip_code": "zip",
    "zipcode": "zip",
    "postal_code": "zip",
    "problem": "problem_description",
    "description": "problem_description",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    rows: list[CsvRow]
    ignored_columns: list[str]


def _column(name: str) -> str:
    plain = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return plain if plain in COLUMNS else ALIASES.get(plain, "")


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadRequest("The file could not be read as text. Save it as CSV (UTF-8) and upload it again.")


def _delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def read_csv(data: bytes) -> CsvFile:
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it and upload each part."
        )
    text = _text(data)
    if not text.strip():
        raise ValidationFailed("The file is empty.", field_errors={"file": "Choose a CSV file with a header row"})
    if "\x00" in text:
        raise BadRequest("This is not a CSV file. Save the spreadsheet as CSV and upload it again.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(reader)
        names = [_column(name) for name in header]
        missing = [FIELD_LABELS[c] for c in REQUIRED if c not in names]
        if missing:
            raise ValidationFailed(
                "The file's header row lacks columns: " + ", ".join(missing) + ".",
                field_errors={"file": "The first row must name the columns: " + ",".join(COLUMNS)},
            )
        rows: list[CsvRow] = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise PayloadTooLarge(f"The file has more than {MAX_ROWS:,} leads. Split it and upload each part.")
            values: dict[str, str] = {}
            for name, cell in zip(names, cells, strict=False):
                if name and name not in values:
                    values[name] = cell
            rows.append(CsvRow(number=number, values=values))
    except csv.Error as exc:
        raise BadRequest(f"The file is not valid CSV: {exc}.") from None
    ignored = [h for h, n in zip(header, names, strict=True) if not n and h.strip()]
    return CsvFile(rows=rows, ignored_columns=ignored)


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: spreadsheets then read UTF-8
