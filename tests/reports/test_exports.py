"""The CSV and XLSX exports, read back the way a spreadsheet would read them."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from equipbank.reports.exports import Column, csv_bytes, sanitise_sheet_title, xlsx_bytes

COLUMNS = [
    Column("commune", "Commune"),
    Column("equipped", "Bénéficiaires équipés", "int"),
    Column("average", "Équipements par structure", "decimal"),
    Column("share", "Part des remises", "percent"),
]
ROWS = [
    {"commune": "Nice", "equipped": 1234, "average": 12.5, "share": 0.125},
    {
        "commune": "Saint-Martin-Vésubie",
        "equipped": "< 5",
        "average": None,
        "share": Decimal("0.5"),
    },
    {
        "commune": '=HYPERLINK("http://x.example","clic")',
        "equipped": 0,
        "average": Decimal("3.25"),
        "share": 1,
    },
]
DANGEROUS = ["=1+1", "+33 6 00", "-2", "@SUM(A1)", "\tTab", "\rCR"]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(data: bytes) -> Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_csv_is_what_a_french_excel_expects():
    data = csv_bytes(COLUMNS, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 4 and data.replace(b"\r\n", b"").count(b"\n") == 0
    rows = read_csv(data)
    assert rows[0] == [
        "Commune",
        "Bénéficiaires équipés",
        "Équipements par structure",
        "Part des remises (%)",
    ]
    assert rows[1] == ["Nice", "1234", "12,50", "12,5"]
    assert rows[2] == ["Saint-Martin-Vésubie", "< 5", "", "50,0"]
    assert rows[3][1:] == ["0", "3,25", "100,0"]


def test_csv_text_cells_can_never_be_formulas():
    rows = read_csv(
        csv_bytes([Column("value", "Valeur")], [{"value": value} for value in DANGEROUS])
    )
    assert [row[0] for row in rows[1:]] == ["'" + value for value in DANGEROUS]
    assert read_csv(csv_bytes(COLUMNS, ROWS))[3][0].startswith("'=HYPERLINK(")


def test_csv_masked_cells_are_escaped_too_but_negative_numbers_stay_numbers():
    column = Column("value", "Valeur", "int")
    rows = read_csv(csv_bytes([column], [{"value": "-"}, {"value": -3}]))
    assert [row[0] for row in rows[1:]] == ["'-", "-3"]


def test_csv_separators_and_quotes_in_text_are_quoted():
    rows = read_csv(csv_bytes([Column("value", "Valeur")], [{"value": 'Nice; "centre"\nest'}]))
    assert rows[1] == ['Nice; "centre"\nest']


def test_xlsx_keeps_numbers_as_numbers_with_formats():
    sheet = read_xlsx(xlsx_bytes(COLUMNS, ROWS, sheet_title="Communes"))
    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
    nice = sheet[2]
    assert nice[1].value == 1234 and nice[1].data_type == "n" and nice[1].number_format == "#,##0"
    assert nice[2].value == 12.5 and nice[2].number_format == "#,##0.00"
    assert nice[3].value == 0.125 and nice[3].number_format == "0.0%"
    masked = sheet[3]
    assert masked[1].value == "< 5" and masked[1].data_type == "s"
    assert masked[2].value is None
    assert sheet["D4"].value == 1 and sheet["C4"].value == pytest.approx(3.25)


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    data = xlsx_bytes(
        [Column("value", "Valeur")], [{"value": value} for value in DANGEROUS], sheet_title="T"
    )
    sheet = read_xlsx(data)
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed
    assert [cell.value for cell in cells] == [value.replace("\r", "\n") for value in DANGEROUS]
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells)
    hyperlink = read_xlsx(xlsx_bytes(COLUMNS, ROWS, sheet_title="T"))["A4"]
    assert hyperlink.value.startswith("=HYPERLINK(") and hyperlink.data_type == "s"
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_xlsx_header_is_bold_frozen_and_filtered_and_columns_fit():
    sheet = read_xlsx(xlsx_bytes(COLUMNS, ROWS, sheet_title="Communes"))
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D4"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] >= len(ROWS[2]["commune"]) or widths["A"] == 50
    assert all(8 <= width <= 50 for width in widths.values())
    assert widths["B"] >= len("Bénéficiaires équipés")


def test_xlsx_drops_characters_a_spreadsheet_refuses():
    sheet = read_xlsx(
        xlsx_bytes([Column("value", "Valeur")], [{"value": "Nice\x00\x1b"}], sheet_title="T")
    )
    assert sheet["A2"].value == "Nice"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Communes", "Communes"),
        ("Dons [2026]: Nice/Cannes?*\\", "Dons 2026 Nice Cannes"),
        ("Bénéficiaires équipés par commune en 2026", "Bénéficiaires équipés par commu"),
        ("'Cité'", "Cité"),
        ("[]:*?/\\", "Données"),
        ("", "Données"),
    ],
)
def test_sheet_titles_are_made_acceptable(title, expected):
    assert sanitise_sheet_title(title) == expected
    assert len(expected) <= 31


def test_a_long_sheet_title_is_shortened_without_warning():
    sheet = read_xlsx(
        xlsx_bytes(COLUMNS, [], sheet_title="Bénéficiaires équipés par commune en 2026")
    )
    assert sheet.title == "Bénéficiaires équipés par commu"
    assert sheet.max_row == 1


def test_unknown_kinds_and_non_numbers_are_refused():
    with pytest.raises(ValueError, match="unknown column kind"):
        Column("x", "X", "money")
    with pytest.raises(TypeError):
        csv_bytes([Column("x", "X", "int")], [{"x": True}])


def test_rows_can_be_a_generator():
    rows = (
        {"commune": f"C{index}", "equipped": index, "average": 1, "share": 0} for index in range(3)
    )
    assert len(read_csv(csv_bytes(COLUMNS, rows))) == 4
