"""Inventory uploads: the exports donors really have are read, mapped, checked and grouped;
bad files are refused with a French message, bad rows reported one by one."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from equipbank.donations.inventory.reader import (
    FIELDS,
    CheckedRows,
    InventoryFileError,
    InventoryRow,
    LineData,
    Mapping,
    ParsedFile,
    check_mapping,
    check_rows,
    group_lines,
    guess_mapping,
    read_inventory,
)
from equipbank.errors import ValidationFailed

HEADER = "Catégorie;Fabricant;Modèle;Numéro de série"


def csv_file(lines: list[str], *, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Inventaire")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_dimension(content: bytes, dimension: str) -> bytes:
    """The same workbook, claiming in its sheet to span `dimension`, as some tools get wrong."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                claim = f'<dimension ref="{dimension}" /><sheetViews>'.encode()
                data = data.replace(b"<sheetViews>", claim)
            target.writestr(item, data)
    return buffer.getvalue()


def mapping(**columns: int | None) -> Mapping:
    return Mapping(columns={name: columns.get(name) for name in FIELDS})


def parsed(headers: list[str], *rows: list[str]) -> ParsedFile:
    """A file as read_inventory gives it, data rows numbered from line 2."""
    numbered = [(line, list(cells)) for line, cells in enumerate(rows, start=2)]
    return ParsedFile("csv", "utf-8", ";", headers, numbered)


def check(content: bytes, filename: str = "inventaire.csv") -> CheckedRows:
    file = read_inventory(content, filename)
    return check_rows(file, guess_mapping(file.headers))


def refused(content: bytes, filename: str, **kwargs) -> str:
    with pytest.raises(InventoryFileError) as caught:
        read_inventory(content, filename, **kwargs)
    assert caught.value.code == "inventory_file"
    assert isinstance(caught.value, ValidationFailed)
    return caught.value.message


# --- Reading CSV -----------------------------------------------------------------------------


def test_a_french_excel_csv_is_read_checked_and_grouped():
    lines = [HEADER]
    lines += [f"Ordinateur portable;Dell;Latitude 5490;DL{n:03}" for n in range(12)]
    lines += [f"Unité centrale;HP;EliteDesk 800 G3;HP{n:03}" for n in range(5)]
    lines += [
        "PC portable;DELL;LATITUDE 5490;DL100",
        "Écran;Iiyama;ProLite Écran 22’’;",
        "Portable;Toshiba;Portégé Z30;TZ1",
    ]
    content = csv_file(lines, encoding="cp1252")

    file = read_inventory(content, "Inventaire parc.csv")
    assert (file.format, file.encoding, file.delimiter) == ("csv", "cp1252", ";")
    assert file.headers == ["Catégorie", "Fabricant", "Modèle", "Numéro de série"]
    assert len(file.rows) == 20

    checked = check_rows(file, guess_mapping(file.headers))
    assert checked.errors == [] and checked.warnings == []
    assert len(checked.rows) == checked.total == 20

    assert group_lines(checked.rows) == [
        LineData("laptop", "Dell", "Latitude 5490", 13, [f"DL{n:03}" for n in (*range(12), 100)]),
        LineData("desktop", "HP", "EliteDesk 800 G3", 5, [f"HP{n:03}" for n in range(5)]),
        LineData("screen", "Iiyama", "ProLite Écran 22’’", 1, []),
        LineData("laptop", "Toshiba", "Portégé Z30", 1, ["TZ1"]),
    ]


def test_a_utf8_file_with_bom_and_commas():
    content = "\ufeffBrand,Model,Serial Number,Type\nLenovo,ThinkPad T480,PF1AAA,Laptop\n".encode()
    file = read_inventory(content, "export.csv")
    assert (file.encoding, file.delimiter) == ("utf-8-sig", ",")
    assert file.headers[0] == "Brand"  # no BOM left in the first header
    assert check_rows(file, guess_mapping(file.headers)).rows == [
        InventoryRow(2, "laptop", "Lenovo", "ThinkPad T480", "PF1AAA", 1)
    ]


def test_a_plain_utf8_file_is_not_taken_for_windows_1252():
    file = read_inventory(csv_file([HEADER, "Tablette;Apple;iPad Air;DMPX1"]), "export.csv")
    assert file.encoding == "utf-8"
    assert file.headers[2] == "Modèle"


def test_a_utf16_file():
    content = csv_file([HEADER, "Tablette;Samsung;Galaxy Tab A;R52N"], encoding="utf-16")
    file = read_inventory(content, "export.csv")
    assert file.encoding == "utf-16"
    assert file.rows == [(2, ["Tablette", "Samsung", "Galaxy Tab A", "R52N"])]


def test_a_tab_separated_file():
    content = csv_file(["Marque\tModèle\tN° de série\tCatégorie", "HP\tProBook 450\t5CD1\tLaptop"])
    file = read_inventory(content, "export.txt")
    assert file.delimiter == "\t"
    assert check_rows(file, guess_mapping(file.headers)).rows == [
        InventoryRow(2, "laptop", "HP", "ProBook 450", "5CD1", 1)
    ]


def test_quoted_cells_may_hold_the_delimiter_and_line_breaks():
    # Counting separators naively in this header would find three commas and two semicolons.
    content = csv_file(
        [
            '"Marque, fabricant, constructeur, vendeur";Modèle;Catégorie',
            '"Dell; Inc.";"Latitude ""5490""";Laptop',
            '"Apple";"iPad',
            'Air";Tablette',
            "HP;EliteBook;Laptop",
        ]
    )
    file = read_inventory(content, "export.csv")
    assert file.delimiter == ";"
    assert file.rows == [
        (2, ["Dell; Inc.", 'Latitude "5490"', "Laptop"]),
        (3, ["Apple", "iPad\r\nAir", "Tablette"]),
        (5, ["HP", "EliteBook", "Laptop"]),  # the quoted line break took line 4
    ]


def test_empty_lines_are_skipped_and_line_numbers_stay_those_of_the_file():
    content = csv_file(
        [HEADER, "", ";;;", "Laptop;Dell;Latitude;A1", "   ", "Serveur;HP;ProLiant;B2"]
    )
    file = read_inventory(content, "export.csv")
    assert [line for line, _ in file.rows] == [4, 6]
    checked = check_rows(file, guess_mapping(file.headers))
    assert [row.row for row in checked.rows] == [4]
    assert [issue.row for issue in checked.errors] == [6]


def test_blank_lines_before_the_header_are_skipped():
    file = read_inventory(csv_file(["", ";;", HEADER, "Laptop;Dell;Latitude;A1"]), "export.csv")
    assert file.headers[0] == "Catégorie"
    assert file.rows == [(4, ["Laptop", "Dell", "Latitude", "A1"])]


def test_short_rows_are_padded_and_long_rows_cut_to_the_header():
    content = csv_file([HEADER, "Laptop;Dell", "Laptop;HP;EliteBook;C3;en trop;encore"])
    file = read_inventory(content, "x.csv")
    assert file.rows == [
        (2, ["Laptop", "Dell", "", ""]),
        (3, ["Laptop", "HP", "EliteBook", "C3"]),
    ]


def test_a_file_over_the_row_limit_is_refused_with_its_size():
    content = csv_file([HEADER, *(f"Laptop;Dell;Latitude;S{n}" for n in range(30))])
    message = refused(content, "x.csv", max_rows=25)
    assert "30 lignes" in message
    assert "25" in message
    assert len(read_inventory(content, "x.csv", max_rows=30).rows) == 30


def test_a_huge_file_is_refused_without_reading_it_to_the_end():
    rows = [f"Laptop;Dell;Latitude;S{n}" for n in range(1000)]
    rows[500] = "Laptop;" + "x" * 200_000  # a cell too big for the CSV reader
    message = refused(csv_file([HEADER, *rows]), "x.csv", max_rows=10)
    assert "plus de 100 lignes" in message


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "inventaire.csv", "vide"),
        (b"\r\n  \r\n", "inventaire.csv", "vide"),
        (b";;;\r\n;;\r\n", "inventaire.csv", "vide"),
        (HEADER.encode() + b"\r\n\r\n;;;\r\n", "inventaire.csv", "que la ligne d'en-tête"),
        (b"", "inventaire.xlsx", "vide"),
    ],
)
def test_a_file_without_equipment_is_refused(content, filename, expected):
    assert expected in refused(content, filename)


def test_bytes_that_are_no_known_text_are_refused_as_an_unknown_encoding():
    noise = random.Random(20240601).randbytes(4096)
    assert "encodage non reconnu" in refused(noise, "inventaire.csv").lower()
    # UTF-16 without its BOM decodes as UTF-8 full of NUL characters: refused, not garbled.
    no_bom = HEADER.encode("utf-16-le") + b"\r\x00\n\x00"
    assert "encodage non reconnu" in refused(no_bom, "inventaire.csv").lower()


def test_old_excel_files_are_refused_with_what_to_do():
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512)
    message = refused(ole, "parc.xls")
    assert "Excel 97-2003 (.xls)" in message and "Classeur Excel (.xlsx)" in message
    assert refused(b"<html><table></table></html>", "parc.xls") == message
    assert "mot de passe" in refused(ole, "parc.xlsx")


def test_broken_workbooks_are_refused():
    broken = b"PK\x03\x04" + bytes(range(256)) * 4
    assert "illisible ou endommagé" in refused(broken, "parc.xlsx")
    assert "illisible ou endommagé" in refused(b"Laptop;Dell", "parc.xlsx")
    truncated = xlsx_file([["Catégorie"], ["Laptop"]])[:-200]
    assert "illisible ou endommagé" in refused(truncated, "parc.xlsx")


# --- Reading XLSX ----------------------------------------------------------------------------


def test_an_xlsx_file_gives_cells_as_the_donor_reads_them():
    content = xlsx_file(
        [
            ["Catégorie", "Marque", "Modèle", "Numéro de série", "Acheté le", "Poids"],
            [None, None, None, None, None, None],
            ["Portable", "Dell", "Latitude 7490", 12345, datetime(2019, 3, 1), 1.4],
            ["Écran", "Dell", "P2419H", 98765.0, date(2020, 1, 2), 4.0],
            ["Écran", "Dell", "P2419H", 1.2e16, None, None],  # stored as "1.2e+16"
        ]
    )
    file = read_inventory(content, "parc.xlsx")
    assert (file.format, file.encoding, file.delimiter) == ("xlsx", None, None)
    assert file.rows == [
        (3, ["Portable", "Dell", "Latitude 7490", "12345", "2019-03-01", "1.4"]),
        (4, ["Écran", "Dell", "P2419H", "98765", "2020-01-02", "4"]),
        (5, ["Écran", "Dell", "P2419H", "12000000000000000", "", ""]),
    ]
    checked = check_rows(file, guess_mapping(file.headers))
    assert [row.serial for row in checked.rows] == ["12345", "98765", "12000000000000000"]


def test_an_xlsx_file_is_recognised_by_its_content_whatever_its_name():
    content = xlsx_file([["Type", "Fabricant"], ["Tablette", "Apple"]])
    assert read_inventory(content, "export").format == "xlsx"


def test_an_xlsx_file_whose_stored_size_is_wrong_is_read_whole():
    workbook = xlsx_file([["Catégorie", "Marque"], ["Laptop", "Dell"], ["Tablette", "Apple"]])
    file = read_inventory(with_dimension(workbook, "A1:A1"), "parc.xlsx")
    assert file.rows == [(2, ["Laptop", "Dell"]), (3, ["Tablette", "Apple"])]


def test_an_xlsx_file_over_the_row_limit_is_refused():
    content = xlsx_file([["Catégorie"], *(["Laptop"] for _ in range(12))])
    assert "12 lignes" in refused(content, "parc.xlsx", max_rows=11)


def test_an_xlsx_file_with_only_a_header_is_refused():
    assert "que la ligne d'en-tête" in refused(xlsx_file([["Catégorie", "Marque"]]), "parc.xlsx")


# --- Mapping ---------------------------------------------------------------------------------


def test_a_snipe_it_export_is_mapped():
    headers = [
        "Asset Tag",
        "Asset Name",
        "Serial",
        "Model",
        "Model No.",
        "Manufacturer",
        "Category",
        "Location",
    ]
    assert guess_mapping(headers).columns == {
        "category": 6,
        "brand": 5,
        "model": 3,
        "serial": 2,
        "quantity": None,
    }


def test_a_glpi_export_is_mapped_without_the_computer_name():
    headers = ["Nom", "Entité", "Statut", "Fabricant", "Numéro de série", "Type", "Modèle", "Lieu"]
    columns = guess_mapping(headers).columns
    assert columns == {"category": 5, "brand": 3, "model": 6, "serial": 4, "quantity": None}
    assert 0 not in columns.values()


@pytest.mark.parametrize(
    "headers",
    [
        ["MARQUE", "modele", "N° de série", "Catégorie", "Qté"],
        ["Marque", "Modèle", "No série", "Type de matériel", "Quantité"],
        ["Brand", "Model", "S/N", "Device type", "Qty"],
        ["brand", "model", "SN", "type", "Quantity"],
        ["Marque", "Model No.", "Serial Number", "Catégories", "Nombre"],
    ],
)
def test_generic_headers_are_mapped_whatever_their_spelling(headers):
    assert guess_mapping(headers).columns == {
        "brand": 0,
        "model": 1,
        "serial": 2,
        "category": 3,
        "quantity": 4,
    }


def test_a_column_serves_one_field_and_the_best_name_wins():
    columns = guess_mapping(["Type", "Catégorie", "Model No.", "Model", "", "Commentaire"]).columns
    assert columns == {"category": 1, "brand": None, "model": 3, "serial": None, "quantity": None}


def test_headers_with_extra_words_are_still_recognised():
    headers = ["Numéro de série constructeur", "Nom du fabricant", "Modèle exact"]
    columns = guess_mapping(headers).columns
    assert columns == {"serial": 0, "brand": 1, "model": 2, "category": None, "quantity": None}


def test_a_mapping_without_category_is_refused_unless_a_default_is_given():
    headers = ["Marque", "Modèle"]
    with pytest.raises(InventoryFileError) as caught:
        check_mapping(mapping(brand=0, model=1), headers)
    assert "catégorie" in caught.value.message
    assert "category" in caught.value.fields
    check_mapping(Mapping(columns={"brand": 0, "model": 1}, default_category="laptop"), headers)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (Mapping(columns={"brand": 0}, default_category="serveur"), "« serveur »"),
        (mapping(category=0, brand=2), "n'existe pas"),
        (mapping(category=0, brand=-1), "n'existe pas"),
        (
            mapping(category=0, brand=1, model=1),
            "« Marque » et « Modèle » utilisent la même colonne « Modèle »",
        ),
        (Mapping(columns={"category": 0, "colour": 1}), "Champ inconnu"),
    ],
)
def test_a_mapping_that_cannot_apply_is_refused(bad, expected):
    with pytest.raises(InventoryFileError) as caught:
        check_mapping(bad, ["Catégorie", "Modèle"])
    assert expected in caught.value.message


def test_checking_rows_with_a_bad_mapping_is_refused_too():
    with pytest.raises(InventoryFileError):
        check_rows(parsed(["Marque"], ["Dell"]), mapping(brand=0))


# --- Checking rows ---------------------------------------------------------------------------


def test_the_default_category_fills_rows_without_one():
    file = parsed(["Catégorie", "Marque"], ["", "Dell"], ["Tablette", "Apple"], ["N/A", "HP"])
    with_default = Mapping(columns={"category": 0, "brand": 1}, default_category="laptop")
    checked = check_rows(file, with_default)
    assert [(row.category, row.brand) for row in checked.rows] == [
        ("laptop", "Dell"),
        ("tablet", "Apple"),
        ("laptop", "HP"),
    ]
    no_column = check_rows(file, Mapping(columns={"brand": 1}, default_category="desktop"))
    assert {row.category for row in no_column.rows} == {"desktop"}


def test_a_missing_category_without_default_is_a_row_error():
    file = parsed(["Catégorie", "Marque"], ["", "Dell"], ["Laptop", "HP"])
    checked = check_rows(file, mapping(category=0, brand=1))
    assert [(issue.row, issue.field) for issue in checked.errors] == [(2, "category")]
    assert "catégorie manquante" in checked.errors[0].message
    assert [row.brand for row in checked.rows] == ["HP"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Ordinateur portable", "laptop"),
        ("PC portable", "laptop"),
        ("NOTEBOOK", "laptop"),
        ("Laptops", "laptop"),
        ("ultrabook", "laptop"),
        ("laptop", "laptop"),
        ("Unité centrale", "desktop"),
        ("unite centrale", "desktop"),
        ("UC", "desktop"),
        ("PC-fixe", "desktop"),
        ("Tour", "desktop"),
        ("Workstation", "desktop"),
        ("Desktops", "desktop"),
        ("Tablette", "tablet"),
        ("iPad", "tablet"),
        ("Tablets", "tablet"),
        ("Téléphone mobile", "smartphone"),
        ("Mobile Phones", "smartphone"),
        ("Smartphone", "smartphone"),
        ("ÉCRAN", "screen"),
        ("Moniteur", "screen"),
        ("Monitors", "screen"),
        ("display", "screen"),
        ("Imprimante", "printer"),
        ("Multifonction", "printer"),
        ("Printer", "printer"),
        ("Autre", "other"),
        ("other", "other"),
    ],
)
def test_category_names_are_recognised(text, category):
    checked = check_rows(parsed(["Type"], [text]), mapping(category=0))
    assert [row.category for row in checked.rows] == [category]


def test_an_unknown_category_is_a_row_error_naming_it_and_the_others_go_on():
    file = parsed(["Catégorie", "Marque"], ["Serveur", "HP"], ["Laptop", "Dell"])
    checked = check_rows(file, mapping(category=0, brand=1))
    [issue] = checked.errors
    assert (issue.row, issue.field) == (2, "category")
    assert "« Serveur »" in issue.message
    assert "Ordinateur portable" in issue.message and "Imprimante" in issue.message
    assert [row.brand for row in checked.rows] == ["Dell"]
    assert checked.total == 2


def test_lengths_are_those_of_a_donation_line():
    file = parsed(
        ["Catégorie", "Marque", "Modèle", "Série"],
        ["Laptop", "B" * 100, "M" * 150, "S" * 100],
        ["Laptop", "B" * 101, "M" * 151, "S" * 101],
    )
    checked = check_rows(file, mapping(category=0, brand=1, model=2, serial=3))
    assert len(checked.rows) == 1
    assert [(issue.row, issue.field) for issue in checked.errors] == [
        (3, "brand"),
        (3, "model"),
        (3, "serial"),
    ]
    assert "marque trop longue (101 caractères, 100 au maximum)" == checked.errors[0].message


def test_a_serial_repeated_for_the_same_brand_is_an_error_on_the_second_row():
    file = parsed(
        ["Catégorie", "Marque", "Série"],
        ["Laptop", "Dell", "ABC123"],
        ["Laptop", "HP", "ABC123"],  # another brand: another device
        ["Laptop", "Dell", "abc123"],  # serials are compared exactly
        ["Laptop", "DELL", "ABC123"],
    )
    checked = check_rows(file, mapping(category=0, brand=1, serial=2))
    [issue] = checked.errors
    assert (issue.row, issue.field) == (5, "serial")
    assert "« ABC123 »" in issue.message and "ligne 2" in issue.message
    assert [row.row for row in checked.rows] == [2, 3, 4]


def test_quantity_rules():
    file = parsed(
        ["Catégorie", "Modèle", "Quantité", "Série"],
        ["Écran", "P2419H", "", ""],
        ["Écran", "P2419H", "12", ""],
        ["Écran", "P2419H", "3.0", ""],
        ["Écran", "P2419H", "1000", ""],
        ["Écran", "E2216", "0", ""],
        ["Écran", "E2216", "1001", ""],
        ["Écran", "E2216", "deux", ""],
        ["Écran", "E2216", "-2", ""],
        ["Écran", "E2216", "2.5", ""],
        ["Laptop", "T480", "2", "PF1"],
        ["Laptop", "T480", "1", "PF2"],
    )
    checked = check_rows(file, mapping(category=0, model=1, quantity=2, serial=3))
    assert [row.quantity for row in checked.rows] == [1, 12, 3, 1000, 1]
    assert [(issue.row, issue.field) for issue in checked.errors] == [
        (line, "quantity") for line in range(6, 12)
    ]
    assert "« deux »" in checked.errors[2].message
    assert "numéro de série" in checked.errors[-1].message
    assert checked.warnings == []  # "-2" looks like a number, not a formula
    assert group_lines(checked.rows) == [
        LineData("screen", None, "P2419H", 1016, []),
        LineData("laptop", None, "T480", 1, ["PF2"]),
    ]


def test_placeholders_count_as_empty():
    headers = ["Catégorie", "Marque", "Modèle", "Série", "Qté"]
    file = parsed(headers, ["Laptop", "-", "n/a", "NA", "N/A"])
    checked = check_rows(file, mapping(category=0, brand=1, model=2, serial=3, quantity=4))
    assert checked.rows == [InventoryRow(2, "laptop", None, None, None, 1)]
    assert checked.warnings == []


def test_formula_like_cells_are_kept_as_text_with_a_warning():
    file = parsed(
        ["Catégorie", "Marque", "Modèle", "Série", "Nom"],
        ["Laptop", '=HYPERLINK("http://x")', "+33 Edition", "@SUM(A1)", "=1+1"],
        ["Laptop", "Dell", "-cmd|calc", "-12", ""],
    )
    checked = check_rows(file, mapping(category=0, brand=1, model=2, serial=3))
    assert checked.errors == []
    assert [(row.brand, row.model, row.serial) for row in checked.rows] == [
        ('=HYPERLINK("http://x")', "+33 Edition", "@SUM(A1)"),
        ("Dell", "-cmd|calc", "-12"),
    ]
    # The unmapped "Nom" column is not imported, hence not reported.
    assert [(issue.row, issue.field) for issue in checked.warnings] == [
        (2, "brand"),
        (2, "model"),
        (2, "serial"),
        (3, "model"),
    ]
    assert checked.warnings[0].message == (
        "la cellule commence par « = » : elle est conservée comme texte, jamais comme formule"
    )
    assert "« @ »" in checked.warnings[2].message


def test_formula_like_cells_from_a_real_file():
    content = csv_file([HEADER, "Laptop;\"=cmd|' /C calc'!A0\";Latitude;S1"])
    checked = check(content)
    assert checked.errors == [] and len(checked.rows) == 1
    assert checked.rows[0].brand == "=cmd|' /C calc'!A0"
    assert [issue.field for issue in checked.warnings] == ["brand"]


def test_progress_is_reported_every_500_rows_and_at_the_end():
    file = parsed(["Catégorie"], *(["Laptop"] for _ in range(1200)))
    calls: list[tuple[int, int]] = []
    check_rows(file, mapping(category=0), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]


# --- Grouping --------------------------------------------------------------------------------


def test_lines_group_by_category_brand_and_model_in_order_of_first_appearance():
    rows = [
        InventoryRow(2, "laptop", "Dell", "Latitude 5490", "A", 1),
        InventoryRow(3, "screen", "Dell", "P2419H", None, 4),
        InventoryRow(4, "laptop", "dell", "latitude 5490", "B", 1),
        InventoryRow(5, "desktop", "Dell", "Latitude 5490", "C", 1),  # another category
        InventoryRow(6, "screen", None, None, None, 2),
        InventoryRow(7, "screen", "DELL", "p2419h", None, 1),
        InventoryRow(8, "screen", None, None, None, 3),
    ]
    assert group_lines(rows) == [
        LineData("laptop", "Dell", "Latitude 5490", 2, ["A", "B"]),
        LineData("screen", "Dell", "P2419H", 5, []),
        LineData("desktop", "Dell", "Latitude 5490", 1, ["C"]),
        LineData("screen", None, None, 5, []),
    ]
