"""Untrusted inventory files, bounded: each limit refuses a file with a French message naming
it, before any work in proportion to the file. Times and memory are measured by
`bench/hostile_uploads.py`; these tests say what the donor is told."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from equipbank.codes import OrganisationKind, Role
from equipbank.donations.inventory.reader import InventoryFileError, Limits, read_inventory
from equipbank.donations.models import InventoryImport
from equipbank.extensions import db
from equipbank.organisations import services as organisations
from tests import factories
from tests.donations.inventory.hostile_files import csv_with_wide_header, xlsx_with_empty_rows

HEADER = "Catégorie;Fabricant;Modèle;Numéro de série"


def refused(content: bytes, filename: str, **options) -> InventoryFileError:
    with pytest.raises(InventoryFileError) as caught:
        read_inventory(content, filename, **options)
    return caught.value


def csv_file(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_of_rows(rows_xml: str) -> bytes:
    """A minimal workbook whose first sheet's `<sheetData>` holds `rows_xml`."""
    template = xlsx_with_empty_rows(0)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                start, _, rest = data.partition(b"<sheetData>")
                _, _, end = rest.partition(b"</sheetData>")
                data = start + b"<sheetData>" + rows_xml.encode() + b"</sheetData>" + end
            target.writestr(item, data)
    return buffer.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- The two files of issue 10 ---------------------------------------------------------------


def test_a_small_xlsx_of_two_million_empty_rows_is_refused_for_its_rows():
    content = xlsx_with_empty_rows(2_000_000)
    assert len(content) < 25_000  # what a visitor sends: a few kilobytes
    error = refused(content, "inventaire.xlsx")
    assert error.message.startswith(
        "Le classeur contient une feuille de plus de 21\u00a0001 lignes, vides comprises"
    )
    assert "20\u00a0000 lignes de matériel et 1\u00a0000 lignes vides" in error.message
    assert error.limit == "rows"


def test_a_csv_whose_header_has_a_million_columns_is_refused_for_its_columns():
    content = csv_with_wide_header(1_000_000)
    error = refused(content, "inventaire.csv")
    assert "La ligne 1 du fichier a plus de 100 colonnes" in error.message
    assert "le maximum est de 100 colonnes" in error.message
    assert error.limit == "columns"


# --- Rows, blank or not ----------------------------------------------------------------------


def test_blank_rows_count_against_their_own_limit():
    lines = [HEADER, "Portable;Dell;Latitude;S1", *([";;;"] * 5), "Portable;Dell;Latitude;S2"]
    assert len(read_inventory(csv_file(lines), "x.csv", limits=Limits(max_blank_rows=5)).rows) == 2
    error = refused(csv_file(lines), "x.csv", limits=Limits(max_blank_rows=4))
    assert "plus de 4 lignes vides" in error.message and error.limit == "blank_rows"


def test_a_worksheet_row_numbered_far_below_counts_the_rows_in_between():
    far = f'<row r="1">{cell("A1", "Catégorie")}</row><row r="2">{cell("A2", "Portable")}</row>'
    far += f'<row r="900000">{cell("A900000", "Portable")}</row>'
    error = refused(xlsx_of_rows(far), "parc.xlsx")
    assert "vides comprises" in error.message


def test_a_sheet_stored_under_another_name_is_counted_too():
    content = xlsx_with_empty_rows(50_000)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            name = item.filename.replace("worksheets/sheet1.xml", "media/image1.png")
            target.writestr(name, data.replace(b"worksheets/sheet1.xml", b"media/image1.png"))
    assert "vides comprises" in refused(buffer.getvalue(), "parc.xlsx").message


def test_a_workbook_with_a_picture_is_read():
    content = xlsx_with_empty_rows(3)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    assert read_inventory(buffer.getvalue(), "parc.xlsx").rows == [(2, ["Portable"])]


def test_prefixed_worksheet_elements_are_counted_too():
    content = xlsx_with_empty_rows(0)
    rows = "".join("<x:row/>" for _ in range(30))
    sheet = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Catégorie</x:t></x:is>'
        f"</x:c></x:row>{rows}</x:sheetData></x:worksheet>"
    )
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            data = sheet.encode() if item.filename.endswith("sheet1.xml") else source.read(item)
            target.writestr(item, data)
    error = refused(buffer.getvalue(), "parc.xlsx", max_rows=5, limits=Limits(max_blank_rows=5))
    assert "une feuille de plus de 11 lignes, vides comprises" in error.message


# --- Columns and cells -----------------------------------------------------------------------


def test_a_header_over_the_column_limit_is_refused_at_the_limit_not_before():
    def header(columns: int) -> str:
        return ";".join(["Catégorie", *(f"Colonne {n}" for n in range(2, columns + 1))])

    accepted = read_inventory(csv_file([header(100), "Portable"]), "x.csv")
    assert len(accepted.headers) == 100
    assert refused(csv_file([header(101), "Portable"]), "x.csv").limit == "columns"


def test_an_xlsx_header_over_the_column_limit_is_refused():
    from openpyxl.utils import get_column_letter

    header = "".join(cell(f"{get_column_letter(n)}1", f"Colonne {n}") for n in range(1, 102))
    content = xlsx_of_rows(f'<row r="1">{header}</row><row r="2">{cell("A2", "Portable")}</row>')
    error = refused(content, "parc.xlsx")
    assert "plus de 100 colonnes" in error.message


def test_a_worksheet_row_wider_than_excel_is_refused_before_openpyxl_reads_it():
    cells = "<c/>" * 20_000
    content = xlsx_of_rows(f'<row r="1">{cell("A1", "Catégorie")}{cells}</row>')
    error = refused(content, "parc.xlsx")
    assert "plus de 16\u00a0384 colonnes" in error.message and error.limit == "columns"


def test_a_cell_over_the_length_limit_is_refused_with_its_line():
    ok = csv_file([HEADER, "Portable;Dell;" + "x" * 1_000 + ";S1"])
    assert read_inventory(ok, "x.csv").rows[0][1][2] == "x" * 1_000
    error = refused(
        csv_file([HEADER, "Portable;Dell;Latitude;S1", "Portable;" + "x" * 1_001]), "x.csv"
    )
    assert "La ligne 3 du fichier a une cellule de plus de 1\u00a0000 caractères" in error.message
    assert error.limit == "cell_chars"


def test_a_line_too_long_for_any_row_within_the_limits_is_refused_before_it_is_split():
    long_line = "Portable;" + "x" * 300_000
    error = refused(csv_file([HEADER, long_line]), "x.csv")
    assert "La ligne 2 du fichier a une cellule de plus de" in error.message


# --- A workbook's size once unzipped ---------------------------------------------------------


def test_a_workbook_declaring_more_than_the_unzipped_limit_is_refused_before_it_is_read():
    content = xlsx_with_empty_rows(100_000)  # 600 kB of XML, a few kB zipped
    error = refused(content, "parc.xlsx", limits=Limits(max_unzipped_bytes=512 * 1024))
    assert "Le classeur Excel occupe plus de 0,5 Mo une fois décompressé" in error.message
    assert error.limit == "unzipped_bytes"


def test_a_workbook_lying_about_its_unzipped_size_is_refused_without_reading_more():
    content = xlsx_with_empty_rows(2_000_000, lying_size=1_000)
    error = refused(content, "parc.xlsx")
    assert "illisible ou endommagé" in error.message


def test_a_workbook_with_a_doctype_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="inlineStr"><is><t>&lol;</t></is></c></row></sheetData></worksheet>'
    )
    content = xlsx_with_empty_rows(0)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            data = bomb.encode() if item.filename.endswith("sheet1.xml") else source.read(item)
            target.writestr(item, data)
    assert "illisible ou endommagé" in refused(buffer.getvalue(), "parc.xlsx").message


# --- Time ------------------------------------------------------------------------------------


def test_reading_stops_at_the_time_limit():
    content = csv_file([HEADER, "Portable;Dell;Latitude;S1"])
    error = refused(content, "x.csv", limits=Limits(max_seconds=0))
    assert "La lecture du fichier a dépassé 0 seconde (durée maximale" in error.message
    assert error.limit == "seconds"


# --- Through the pages and the API -----------------------------------------------------------


def rows_csv(rows: int) -> bytes:
    return csv_file([HEADER, *(f"Portable;Dell;Latitude 5490;DL-{n:04d}" for n in range(rows))])


def unvalidated_donor():
    """A donor company as registration leaves it: its user logged in, not yet validated."""
    return factories.user(
        Role.DONOR,
        organisation_=factories.organisation(
            OrganisationKind.DONOR, name="Garage Dupont", validated_at=None
        ),
    )


def multipart(content: bytes, name: str) -> dict:
    """The request body built in memory: the test client would spool one over 500 kB to a
    temporary file it never closes."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), name)})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(client, content: bytes, name: str):
    return client.post("/dons/importer/", **multipart(content, name))


def api_import(client, headers, content: bytes, name: str):
    return client.post(
        "/api/v1/donations/import?dry_run=true", headers=headers, **multipart(content, name)
    )


def test_an_unvalidated_donor_imports_a_small_file_until_staff_validate_it(client, auth):
    user = unvalidated_donor()
    auth.login(user)
    assert upload(client, rows_csv(50), "parc.csv").status_code == 302
    refused_page = upload(client, rows_csv(60), "parc.csv")
    assert refused_page.status_code == 422
    assert "Le fichier contient 60 lignes de matériel" in refused_page.text
    assert "Tant que « Garage Dupont » n&#39;est pas validé par la Banque du Numérique" in (
        refused_page.text
    )
    assert "la validation de l&#39;organisation porte cette limite à 20\u00a0000 lignes" in (
        refused_page.text
    )
    assert db.session.scalar(sa.select(sa.func.count(InventoryImport.id))) == 1

    organisations.validate(user.organisation, actor=factories.user(Role.STAFF))
    db.session.commit()
    assert upload(client, rows_csv(60), "parc.csv").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(InventoryImport.id))) == 2


def test_the_hostile_files_are_refused_on_the_upload_page_and_nothing_is_kept(client, donor):
    workbook = upload(client, xlsx_with_empty_rows(2_000_000), "inventaire.xlsx")
    assert workbook.status_code == 422 and "vides comprises" in workbook.text
    wide = upload(client, csv_with_wide_header(1_000_000), "inventaire.csv")
    assert wide.status_code == 422 and "le maximum est de 100 colonnes" in wide.text
    assert db.session.scalar(sa.select(sa.func.count(InventoryImport.id))) == 0


def test_the_api_import_refuses_the_hostile_files_with_the_json_error(client, api_token):
    headers = api_token(factories.user(Role.DONOR))
    for content, name, said in (
        (xlsx_with_empty_rows(2_000_000), "inventaire.xlsx", "vides comprises"),
        (csv_with_wide_header(1_000_000), "inventaire.csv", "le maximum est de 100 colonnes"),
    ):
        response = api_import(client, headers, content, name)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "fields"}
        assert error["code"] == "inventory_file" and said in error["message"]
        assert error["fields"] == {"file": [error["message"]]}


def test_the_api_import_holds_an_unvalidated_donor_to_the_small_file(client, api_token):
    user = unvalidated_donor()
    headers = api_token(user)
    refused_response = api_import(client, headers, rows_csv(60), "parc.csv")
    assert refused_response.status_code == 422
    message = refused_response.get_json()["error"]["message"]
    assert (
        "« Garage Dupont » n'est pas validé" in message
        and "porte cette limite à 20\u00a0000" in message
    )

    organisations.validate(user.organisation, actor=factories.user(Role.STAFF))
    db.session.commit()
    accepted = api_import(client, headers, rows_csv(60), "parc.csv")
    assert accepted.status_code == 200 and accepted.get_json()["valid"] == 60
