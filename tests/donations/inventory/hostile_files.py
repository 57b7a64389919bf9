"""The two hostile inventory files of issue 10, built in memory for the tests and the bench.

Both are small to send and were costly to read: an XLSX whose sheet holds millions of empty
`<row/>` elements (they compress to almost nothing), and a CSV whose header has a million
columns (every row was padded to that width).
"""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Inventaire" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx_with_empty_rows(empty_rows: int = 2_000_000, *, lying_size: int | None = None) -> bytes:
    """A workbook of one header, one row of equipment, then `empty_rows` empty `<row/>`.

    The sheet is streamed into the zip, never held whole. With `lying_size`, the central
    directory declares that uncompressed size for the sheet instead of its real one.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as sheet:
            sheet.write(_SHEET_START.encode())
            sheet.write(f'<row r="1">{_cell("A1", "Catégorie")}</row>'.encode())
            sheet.write(f'<row r="2">{_cell("A2", "Portable")}</row>'.encode())
            chunk = b"<row/>" * 10_000
            for _ in range(empty_rows // 10_000):
                sheet.write(chunk)
            sheet.write(b"<row/>" * (empty_rows % 10_000))
            sheet.write(_SHEET_END.encode())
    content = buffer.getvalue()
    if lying_size is not None:
        content = _declare_size(content, "xl/worksheets/sheet1.xml", lying_size)
    return content


def _declare_size(content: bytes, name: str, size: int) -> bytes:
    """The same zip, its central directory (and local header) claiming `size` for `name`."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    real = info.file_size.to_bytes(4, "little")
    claimed = size.to_bytes(4, "little")
    # Central directory entry: signature PK\1\2, uncompressed size at offset 24.
    start = 0
    while True:
        central = data.find(b"PK\x01\x02", start)
        if central < 0:
            break
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_length] == name.encode():
            assert data[central + 24 : central + 28] == real
            data[central + 24 : central + 28] = claimed
        start = central + 4
    # Local header: uncompressed size at offset 22 (zipfile wrote it there, having seeked back).
    local = info.header_offset
    if data[local + 22 : local + 26] == real:
        data[local + 22 : local + 26] = claimed
    return bytes(data)


def csv_with_wide_header(columns: int = 1_000_000, rows: int = 100) -> bytes:
    """A CSV whose header has `columns` columns (a category, then empty names, then one
    last name), followed by `rows` rows of one cell each: about 1 MB."""
    header = ";".join(["Catégorie", *([""] * (columns - 2)), "Fin"])
    lines = [header, *(["Portable"] * rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
