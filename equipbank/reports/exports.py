"""Report tables exported as CSV and XLSX, for the people who rework the figures in a spreadsheet.

The CSV is written the way a French Excel opens it with a double click: UTF-8 with a byte order
mark (else accents are garbled), semicolons, CRLF, a decimal comma and no thousands separator
(Excel would read "1 234" as text). A percent column holds the percentage as a plain number
("12,5" for 0.125) and its header says "(%)": a "12,5 %" cell would be text to Excel.

Cells come from data typed by users, so no text cell can turn into a formula: in the CSV the
project's `escape_formula` prefixes an apostrophe; in the XLSX the cell is stored as a string
and flagged as typed with a leading apostrophe, which keeps the value as it is. There, numbers
carry a number format ("0.0%" for a percent column, whose header then needs no "(%)").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from equipbank.audit import services as audit
from equipbank.spreadsheet import escape_formula

if TYPE_CHECKING:
    from equipbank.auth.models import User

KINDS = ("text", "int", "decimal", "percent")
XLSX_FORMATS = {"int": "#,##0", "decimal": "#,##0.00", "percent": "0.0%"}
SHEET_TITLE_LENGTH = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 8, 50  # XLSX column widths, in characters


@dataclass(frozen=True)
class Column:
    key: str  # the key in each row mapping
    header: str  # French header
    kind: str = "text"  # "text", "int", "decimal" (2 decimals), "percent" (a ratio 0..1, 1 decimal)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def csv_bytes(columns: Sequence[Column], rows: Iterable[Mapping[str, object]]) -> bytes:
    """The table as a CSV file for a French Excel.

    Every column's key must be in every row; None is an empty cell, and a string in a numeric
    column (a masked count like "< 5") is written as text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_header(column) for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(column, row[column.key]) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    columns: Sequence[Column], rows: Iterable[Mapping[str, object]], *, sheet_title: str
) -> bytes:
    """The table as one sheet: numbers stored as numbers with a format, a bold frozen header
    with filters, and columns wide enough for their content."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sanitise_sheet_title(sheet_title)
    widths = [len(column.header) + 2 for column in columns]  # + 2: bold, and the filter button
    for index, column in enumerate(columns, 1):
        header = sheet.cell(row=1, column=index)
        _fill_text(header, column.header)
        header.font = Font(bold=True)
    for row_index, row in enumerate(rows, 2):
        for index, column in enumerate(columns, 1):
            value = row[column.key]
            _fill_cell(sheet.cell(row=row_index, column=index), column, value)
            widths[index - 1] = max(widths[index - 1], _display_length(column, value))
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 1)
        )
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{sheet.max_row}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sanitise_sheet_title(title: str) -> str:
    """A title Excel accepts: none of []:*?/\\, no apostrophe at either end, 31 characters at
    most, never empty."""
    cleaned = " ".join(
        ILLEGAL_CHARACTERS_RE.sub("", _SHEET_TITLE_FORBIDDEN.sub(" ", title)).split()
    )
    cleaned = cleaned.strip("'")[:SHEET_TITLE_LENGTH].rstrip().rstrip("'")
    return cleaned or "Données"


def _csv_header(column: Column) -> str:
    return f"{column.header} (%)" if column.kind == "percent" else column.header


def _csv_cell(column: Column, value: object) -> str:
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str):
        return escape_formula(str(value)) or ""
    number = _number(value)
    if column.kind == "int":
        return str(round(number))
    if column.kind == "percent":
        return f"{number * 100:.1f}".replace(".", ",")
    return f"{number:.2f}".replace(".", ",")


def _fill_cell(cell: Cell, column: Column, value: object) -> None:
    """Numbers as they are with the column's format; anything else as text."""
    if value is None:
        return
    if column.kind == "text" or isinstance(value, str):
        _fill_text(cell, str(value))
        return
    number = _number(value)
    cell.value = round(number) if column.kind == "int" else number
    cell.number_format = XLSX_FORMATS[column.kind]


def _fill_text(cell: Cell, text: str) -> None:
    """A string cell that cannot be a formula, with the characters XML refuses dropped.

    openpyxl takes any string starting with "=" for a formula: the cell's type is set back to
    string, and `quotePrefix` makes Excel keep a formula-like text as text even when someone
    edits the cell.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.value = text
    cell.data_type = "s"
    if escape_formula(text) != text:
        cell.quotePrefix = True


def _number(value: object) -> int | float | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"a number was expected, not {value!r}")
    return value


def _display_length(column: Column, value: object) -> int:
    """Roughly how many characters the cell shows, to size its column."""
    if value is None:
        return 0
    if column.kind == "text" or isinstance(value, str):
        return max((len(line) for line in str(value).splitlines()), default=0)
    return len(f"{_number(value):,.1f}")


def record_export(report: str, file_format: str, *, actor: User, filters: dict) -> None:
    """Every export is in the audit log (DESIGN.md §7): which report, which format, which
    filters (codes and dates only)."""
    audit.record(
        "report.export",
        "report",
        actor=actor,
        summary={"report": report, "format": file_format, "filters": filters},
    )
