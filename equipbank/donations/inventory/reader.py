"""Donations declared by uploading the inventory export of a donor's IT asset tool.

A donor company rarely wants to type two hundred serial numbers: it exports its asset tool
(Snipe-IT, GLPI, a spreadsheet) and uploads the file. This module reads that file, proposes
which column holds what, checks every row and groups the valid ones into donation lines.

It is pure (no database, no request) so that a view, an API endpoint or a background job can
use it alike. Uploaded files are untrusted: every problem with the file as a whole becomes an
`InventoryFileError` with a French message, every problem with one row a `RowIssue`; nothing
here lets a parser exception through to the user. What a file may cost is bounded (`Limits`):
each bound is checked before any work in proportion to the file, and a file over one is
refused with a message naming it.
"""

from __future__ import annotations

import csv
import io
import re
import time as clock
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from xml.parsers import expat

import openpyxl

from equipbank.codes import DeviceCategory
from equipbank.errors import ValidationFailed
from equipbank.spreadsheet import FORMULA_PREFIXES

FIELDS = ("category", "brand", "model", "serial", "quantity")
REQUIRED = ("category",)
FIELD_LABELS = {
    "category": "Catégorie",
    "brand": "Marque",
    "model": "Modèle",
    "serial": "Numéro de série",
    "quantity": "Quantité",
}

MAX_LENGTHS = {"brand": 100, "model": 150, "serial": 100}  # the DonationLine columns
_TOO_LONG = {
    "brand": "marque trop longue",
    "model": "modèle trop long",
    "serial": "numéro de série trop long",
}
MAX_QUANTITY = 1000
PROGRESS_EVERY = 500

# Past max_rows, rows are only counted, to tell the donor how big the file is; past this many
# times max_rows counting stops too, so that a huge (or zip-bombed) file costs bounded time.
_COUNT_CEILING_FACTOR = 10
# The header line is looked for in this much text: a longer first line is no inventory.
_SNIFF_CHARS = 65_536
# Excel's own width: a worksheet row with more cells than this was not written by a spreadsheet.
_EXCEL_COLUMNS = 16_384
_SCAN_CHUNK = 65_536  # bytes of a workbook's part unzipped and parsed at a time

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003, and also password-protected .xlsx
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (";", "\t", ",")  # in order of preference on a tie: French Excel uses ";"
# Control characters never found in a text export: their presence means the bytes were
# decoded with the wrong encoding (UTF-16 without BOM) or are no text at all.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_EMPTY_MARKERS = frozenset({"-", "n/a", "na"})  # compared case-insensitively
_DIGITS = "0123456789"
_QUANTITY = re.compile(r"(\d{1,7})(?:[.,]0+)?")  # "3", and "3.0" / "3,0" as spreadsheets write it

_NON_ALNUM = re.compile(r"[^0-9a-z]+")

_CATEGORY_SYNONYMS: dict[DeviceCategory, tuple[str, ...]] = {
    DeviceCategory.LAPTOP: (
        "Portable",
        "PC portable",
        "Laptop",
        "Notebook",
        "Ultrabook",
        "Chromebook",
        "MacBook",
    ),
    DeviceCategory.DESKTOP: (
        "Unité centrale",
        "UC",
        "Desktop",
        "PC fixe",
        "Poste fixe",
        "Tour",
        "Workstation",
        "Station de travail",
    ),
    DeviceCategory.TABLET: ("Tablet", "iPad"),
    DeviceCategory.SMARTPHONE: (
        "Téléphone mobile",
        "Téléphone portable",
        "Mobile phone",
        "Phone",
    ),
    DeviceCategory.SCREEN: ("Moniteur", "Monitor", "Display"),
    DeviceCategory.PRINTER: ("Printer", "Multifonction", "Imprimante multifonction"),
    DeviceCategory.OTHER: ("Other",),
}

# Header names of the usual exports, best first: the first one found wins the field.
_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "category": (
        "Catégorie",
        "Category",
        "Type de matériel",
        "Type d'équipement",
        "Type d'appareil",
        "Device type",
        "Asset type",
        "Equipment type",
        "Type",
    ),
    "brand": ("Marque", "Brand", "Fabricant", "Manufacturer", "Constructeur", "Make"),
    "model": (
        "Modèle",
        "Model",
        "Nom du modèle",
        "Model name",
        "Numéro de modèle",
        "Model No.",
        "Model number",
    ),
    "serial": (
        "Numéro de série",
        "N° de série",
        "No de série",
        "N° série",
        "No série",
        "Num série",
        "Série",
        "Serial",
        "Serial number",
        "Serial No.",
        "S/N",
        "SN",
    ),
    "quantity": ("Quantité", "Qté", "Quantity", "Qty", "Nombre", "Nb"),
}
# When no header matches exactly, a header containing one of these words is taken
# ("Numéro de série constructeur"). The order matters, the most telling word first: that
# header is a serial, not a brand. "Type" is left out: too many columns say it.
_HEADER_KEYWORDS: dict[str, tuple[str, ...]] = {
    "serial": ("serie", "serial"),
    "category": ("categorie", "category"),
    "model": ("modele", "model"),
    "brand": ("marque", "brand", "fabricant", "manufacturer", "constructeur"),
    "quantity": ("quantite", "quantity", "qte", "qty"),
}


class InventoryFileError(ValidationFailed):
    """The file as a whole cannot be used; the message says what to do about it.

    `limit` names the bound of `Limits` the file went over ("rows", "columns"...), if any.
    """

    code = "inventory_file"

    def __init__(self, message: str, *, limit: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    """What reading one untrusted file may cost, besides its rows of equipment (`max_rows`).

    Blank rows are bounded apart, since they cost as much to read and count for nothing; a
    workbook's parts are bounded once unzipped, as declared and as actually read.
    """

    max_blank_rows: int = 1_000
    max_columns: int = 100
    max_cell_chars: int = 1_000
    max_unzipped_bytes: int = 50 * 1024 * 1024
    max_seconds: float = 20.0


class _Deadline:
    """The reading's time budget, checked as it goes: whatever a file holds, it stops there."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = clock.monotonic() + seconds

    def check(self) -> None:
        if clock.monotonic() > self.at:
            raise InventoryFileError(
                f"La lecture du fichier a dépassé {_seconds(self.seconds)} (durée maximale de "
                "lecture d'un fichier) : découpez-le en plusieurs fichiers plus petits.",
                limit="seconds",
            )


@dataclass(frozen=True)
class ParsedFile:
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    rows: list[tuple[int, list[str]]]


@dataclass
class Mapping:
    columns: dict[str, int | None]
    default_category: str | None = None


@dataclass(frozen=True)
class InventoryRow:
    row: int
    category: str
    brand: str | None
    model: str | None
    serial: str | None
    quantity: int


@dataclass(frozen=True)
class RowIssue:
    row: int
    field: str
    message: str


@dataclass
class CheckedRows:
    rows: list[InventoryRow] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Rows looked at: every invalid row carries at least one error, a valid one none."""
        return len(self.rows) + len({issue.row for issue in self.errors})


@dataclass(frozen=True)
class LineData:
    category: str
    brand: str | None
    model: str | None
    quantity: int
    serials: list[str]


# --- Reading -------------------------------------------------------------------------------


def read_inventory(
    content: bytes, filename: str, *, max_rows: int = 20_000, limits: Limits | None = None
) -> ParsedFile:
    """Read a CSV or XLSX export into stripped text cells, refusing what cannot be used.

    The format is decided from the bytes first, since donors rename files, and from the
    extension only where the bytes are ambiguous. Rows are padded or cut to the header's width,
    so that every row has one cell per header and a mapping by index always applies.
    """
    limits = limits or Limits()
    deadline = _Deadline(limits.max_seconds)
    name = filename.lower()
    if not content.strip():
        raise InventoryFileError("Le fichier est vide.")
    if content.startswith(_OLE_MAGIC):
        if name.endswith((".xlsx", ".xlsm")):
            raise InventoryFileError(
                "Ce classeur Excel est protégé par un mot de passe : retirez la protection, "
                "enregistrez-le de nouveau, puis réessayez."
            )
        raise _old_excel_error()
    if content.startswith(_ZIP_MAGIC):
        if name.endswith(".ods"):
            raise InventoryFileError(
                "Le format OpenDocument (.ods) n'est pas pris en charge : enregistrez le fichier "
                "au format « Classeur Excel (.xlsx) » ou « CSV »."
            )
        return _read_xlsx(content, max_rows, limits, deadline)
    if name.endswith(".xls"):
        # Not an OLE file: old tools write HTML or text under .xls, whose layout cannot be trusted.
        raise _old_excel_error()
    if name.endswith((".xlsx", ".xlsm")):
        raise _corrupt_xlsx_error()
    return _read_csv(content, max_rows, limits, deadline)


def _read_csv(content: bytes, max_rows: int, limits: Limits, deadline: _Deadline) -> ParsedFile:
    text, encoding = _decode(content)
    delimiter = _detect_delimiter(text)
    records = _csv_records(_bounded_lines(text, delimiter, limits), delimiter)
    headers, rows = _collect(records, max_rows, limits, deadline)
    return ParsedFile("csv", encoding, delimiter, headers, rows)


def _decode(content: bytes) -> tuple[str, str]:
    """Decode as a spreadsheet or asset tool would have written it.

    UTF-8 is tried before Windows-1252 because a Windows-1252 file with accents is almost
    never valid UTF-8, whereas any UTF-8 file would decode, wrongly, as Windows-1252.
    """
    candidates: tuple[str, ...]
    if content.startswith(_UTF8_BOM):
        candidates = ("utf-8-sig",)
    elif content.startswith(_UTF16_BOMS):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp1252")
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL_CHARS.search(text):
            return text, encoding
    raise InventoryFileError(
        "Encodage non reconnu : le fichier n'est ni un CSV en UTF-8, UTF-16 ou Windows-1252, "
        "ni un classeur Excel (.xlsx). Depuis votre tableur, enregistrez-le au format "
        "« CSV UTF-8 » ou « Classeur Excel (.xlsx) »."
    )


def _detect_delimiter(text: str) -> str:
    """The separator used most often in the header line, outside quoted cells.

    A quote only opens a cell at the start of the line or right after a possible separator,
    as the csv module reads it: `Écran 24" Dell` is a plain cell, not an opened quote.
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    cell_start = True
    has_content = False
    sample = text[:_SNIFF_CHARS]
    index = 0
    while index < len(sample):
        char = sample[index]
        if in_quotes:
            if char == '"':
                if sample[index + 1 : index + 2] == '"':
                    index += 1
                else:
                    in_quotes = False
            else:
                has_content = True
        elif char == '"' and cell_start:
            in_quotes = True
        elif char in counts:
            counts[char] += 1
            cell_start = True
            index += 1
            continue
        elif char in "\r\n":
            if has_content:
                break
            counts = dict.fromkeys(_DELIMITERS, 0)  # a blank or separators-only line
            cell_start = True
            index += 1
            continue
        elif not char.isspace():
            has_content = True
        cell_start = False
        index += 1
    best = max(_DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else _DELIMITERS[0]


def _bounded_lines(text: str, delimiter: str, limits: Limits) -> Iterator[str]:
    """The file's lines, each refused before the CSV reader splits it if no line within the
    column and cell limits could be that long (a quoted cell doubles its quotes)."""
    longest = limits.max_columns * (2 * limits.max_cell_chars + 3)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > longest:
            if line.count(delimiter) >= limits.max_columns:
                raise _columns_error(number, limits)
            raise _cell_error(number, limits)
        yield line


def _csv_records(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, stripped cells): a quoted cell may span several lines."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, [cell.strip() for cell in record]
            start = reader.line_num + 1
    except csv.Error:
        raise InventoryFileError(
            f"Le fichier CSV est mal formé vers la ligne {reader.line_num} : vérifiez les "
            "guillemets autour des cellules."
        ) from None


def _read_xlsx(content: bytes, max_rows: int, limits: Limits, deadline: _Deadline) -> ParsedFile:
    """The first worksheet, as last computed (`data_only`): formulas give the values the donor
    saw in the spreadsheet, never their text."""
    _check_workbook(content, max_rows, limits, deadline)
    # openpyxl fails on malformed files with whatever its parsers raise (BadZipFile, KeyError,
    # ValueError, XML errors...): any exception from it means an unreadable workbook.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 (see above: any openpyxl failure is a corrupt file)
        raise _corrupt_xlsx_error() from None
    try:
        if not workbook.worksheets:
            raise InventoryFileError("Le classeur ne contient aucune feuille de calcul.")
        sheet = workbook.worksheets[0]
        # Some tools store wrong dimensions: too small, openpyxl would drop rows; too large
        # (a formatted column down to row 1048576), it would pad millions of empty cells.
        # Without them, each row stops at its last cell and the sheet at its last row.
        sheet.reset_dimensions()
        # One column past the limit is read, so that a header wider than it is seen and refused;
        # cells further right are never built.
        values = sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
        records = (
            (number, [_xlsx_text(value) for value in row])
            for number, row in enumerate(values, start=1)
        )
        headers, rows = _collect(records, max_rows, limits, deadline)
    except InventoryFileError:
        raise
    except Exception:  # noqa: BLE001 (see above: any openpyxl failure is a corrupt file)
        raise _corrupt_xlsx_error() from None
    finally:
        workbook.close()
    return ParsedFile("xlsx", None, None, headers, rows)


def _check_workbook(content: bytes, max_rows: int, limits: Limits, deadline: _Deadline) -> None:
    """Refuse a workbook over the limits before openpyxl parses it (opening it already reads
    every worksheet that states no dimensions).

    The zip's central directory declares each part's unzipped size: their total is bounded.
    Every part is then parsed as a stream, counting what is actually unzipped (a directory
    that lies gains nothing) and every worksheet row, blank or not, since openpyxl reads them
    all. Every part, whatever its name: the workbook's relations may place a sheet anywhere.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _corrupt_xlsx_error() from None
    with archive:
        parts = archive.infolist()
        if sum(part.file_size for part in parts) > limits.max_unzipped_bytes:
            raise _unzipped_size_error(limits)
        budget = limits.max_unzipped_bytes
        for part in parts:
            scan = _WorksheetScan(1 + max_rows + limits.max_blank_rows, max_rows, limits)
            budget -= _scan_part(archive, part, scan, budget, limits, deadline)


def _scan_part(
    archive: zipfile.ZipFile,
    part: zipfile.ZipInfo,
    scan: _WorksheetScan,
    budget: int,
    limits: Limits,
    deadline: _Deadline,
) -> int:
    """Parse one part as XML, within `budget` bytes unzipped; returns the bytes read.

    Where the part stops being XML (an image, or a broken sheet), the scan stops: openpyxl
    parses with the same expat and could read no further than the rows counted so far.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype  # no entity of any kind in a workbook
    parser.StartElementHandler = scan.start
    read = 0
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                read += len(chunk)
                if read > budget:
                    raise _unzipped_size_error(limits)
                parser.Parse(chunk, False)
                deadline.check()
    except expat.ExpatError:
        pass
    # zipfile refuses a damaged or encrypted (RuntimeError) part with these.
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise _corrupt_xlsx_error() from None
    return read


def _refuse_doctype(*_args: object) -> None:
    raise _corrupt_xlsx_error()


class _WorksheetScan:
    """Counts a worksheet's rows as openpyxl will yield them, and the cells of each row."""

    def __init__(self, row_limit: int, max_rows: int, limits: Limits) -> None:
        self.row_limit, self.max_rows, self.limits = row_limit, max_rows, limits
        self.rows = 0
        self.cells = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]  # some writers prefix the elements ("x:row")
        if local == "row":
            # A row numbered past the last one: openpyxl yields the missing ones, blank.
            self.rows = max(self.rows + 1, _row_number(attributes.get("r")))
            self.cells = 0
            if self.rows > self.row_limit:
                raise _total_rows_error(self.row_limit, self.max_rows, self.limits)
        elif local == "c" and self.rows:
            self.cells += 1
            if self.cells > _EXCEL_COLUMNS:
                raise _columns_error(self.rows, self.limits, found=_EXCEL_COLUMNS)


def _row_number(text: str | None) -> int:
    """A row's number as openpyxl reads it ("12", or "12.0"); 0 when it says none."""
    if text is None:
        return 0
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return 0


def _xlsx_text(value: object) -> str:
    """A cell as the donor reads it: serial 12345 stored as a number is "12345", not "12345.0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _collect(
    records: Iterable[tuple[int, list[str]]], max_rows: int, limits: Limits, deadline: _Deadline
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows from raw records, counting as it goes to refuse oversized files:
    blank rows count too, against their own limit, since they cost as much to read."""
    headers: list[str] | None = None
    width = 0
    rows: list[tuple[int, list[str]]] = []
    count = blank = 0
    ceiling = max_rows * _COUNT_CEILING_FACTOR
    for line, cells in records:
        deadline.check()
        if headers is None:
            if any(cells):
                headers = _without_trailing_blanks(cells)
                width = len(headers)
                if width > limits.max_columns:
                    raise _columns_error(line, limits)
                _check_cells(line, headers, limits)
                continue
            row = cells
        else:
            row = cells if len(cells) == width else (cells + [""] * width)[:width]
        if not any(row):
            blank += 1
            if blank > limits.max_blank_rows:
                raise _blank_rows_error(limits)
            continue
        count += 1
        if count > max_rows:
            if count > ceiling:
                break
            continue
        _check_cells(line, row, limits)
        rows.append((line, row))
    if headers is None:
        raise InventoryFileError("Le fichier est vide.")
    if count > max_rows:
        how_many = f"plus de {_number(ceiling)}" if count > ceiling else _number(count)
        raise InventoryFileError(
            f"Le fichier contient {how_many} lignes de matériel ; le maximum est de "
            f"{_number(max_rows)} par import : découpez-le en plusieurs fichiers.",
            limit="rows",
        )
    if not rows:
        raise InventoryFileError(
            "Le fichier ne contient que la ligne d'en-tête : aucune ligne de matériel à importer."
        )
    return headers, rows


def _check_cells(line: int, cells: list[str], limits: Limits) -> None:
    for cell in cells:
        if len(cell) > limits.max_cell_chars:
            raise _cell_error(line, limits)


def _without_trailing_blanks(cells: list[str]) -> list[str]:
    end = len(cells)
    while not cells[end - 1]:
        end -= 1
    return cells[:end]


def _number(value: int) -> str:
    """20000 -> "20 000", with a non-breaking space as French typography wants."""
    return f"{value:,}".replace(",", "\u00a0")


def _seconds(value: float) -> str:
    shown = f"{value:g}".replace(".", ",")
    return f"{shown} seconde" if value <= 1 else f"{shown} secondes"


def _total_rows_error(row_limit: int, max_rows: int, limits: Limits) -> InventoryFileError:
    return InventoryFileError(
        f"Le classeur contient une feuille de plus de {_number(row_limit)} lignes, vides "
        f"comprises ; le maximum est de {_number(max_rows)} lignes de matériel et "
        f"{_number(limits.max_blank_rows)} lignes vides par import : ne gardez que la feuille "
        "d'inventaire, ou découpez-la en plusieurs fichiers.",
        limit="rows",
    )


def _blank_rows_error(limits: Limits) -> InventoryFileError:
    return InventoryFileError(
        f"Le fichier contient plus de {_number(limits.max_blank_rows)} lignes vides, le maximum "
        "par import : supprimez les lignes vides (ou la mise en forme laissée sous le tableau), "
        "puis réessayez.",
        limit="blank_rows",
    )


def _columns_error(line: int, limits: Limits, *, found: int | None = None) -> InventoryFileError:
    found = found or limits.max_columns
    return InventoryFileError(
        f"La ligne {line} du fichier a plus de {_number(found)} colonnes ; le maximum est de "
        f"{_number(limits.max_columns)} colonnes : ne gardez que les colonnes utiles (catégorie, "
        "marque, modèle, numéro de série, quantité), puis réessayez.",
        limit="columns",
    )


def _cell_error(line: int, limits: Limits) -> InventoryFileError:
    return InventoryFileError(
        f"La ligne {line} du fichier a une cellule de plus de {_number(limits.max_cell_chars)} "
        f"caractères, le maximum par cellule : raccourcissez-la ou retirez sa colonne du "
        "fichier, puis réessayez.",
        limit="cell_chars",
    )


def _unzipped_size_error(limits: Limits) -> InventoryFileError:
    megabytes = f"{limits.max_unzipped_bytes / (1024 * 1024):g}".replace(".", ",")
    return InventoryFileError(
        f"Le classeur Excel occupe plus de {megabytes} Mo une fois décompressé, le maximum "
        "accepté : ne gardez que la feuille d'inventaire ou exportez-la en CSV, puis réessayez.",
        limit="unzipped_bytes",
    )


def _old_excel_error() -> InventoryFileError:
    return InventoryFileError(
        "Le format Excel 97-2003 (.xls) n'est pas pris en charge : ouvrez le fichier dans votre "
        "tableur et enregistrez-le au format « Classeur Excel (.xlsx) » ou « CSV UTF-8 »."
    )


def _corrupt_xlsx_error() -> InventoryFileError:
    return InventoryFileError(
        "Le classeur Excel est illisible ou endommagé : ouvrez-le dans votre tableur, "
        "enregistrez-le de nouveau au format « Classeur Excel (.xlsx) » ou exportez-le en CSV."
    )


# --- Mapping -------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Compare names as a person would: "N° de Série" ~ "n de serie", "Laptops" ~ "laptop"."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NON_ALNUM.sub(" ", plain).split()
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words)


_CATEGORY_BY_KEY: dict[str, str] = {
    _key(name): category.value
    for category, synonyms in _CATEGORY_SYNONYMS.items()
    for name in (category.value, category.label, *synonyms)
}
_HEADER_KEYS = {
    name: tuple(_key(synonym) for synonym in synonyms)
    for name, synonyms in _HEADER_SYNONYMS.items()
}
_ACCEPTED_CATEGORIES = ", ".join(category.label for category in DeviceCategory)


def guess_mapping(headers: list[str]) -> Mapping:
    """Propose a mapping from the header names; the donor confirms or corrects it.

    Columns nobody asked for (GLPI's "Nom", Snipe-IT's "Asset Tag") stay unmapped: a
    computer's network name is no brand, and an asset tag is the donor's, not a serial.
    """
    keys = [_key(header) for header in headers]
    columns: dict[str, int | None] = dict.fromkeys(FIELDS)
    taken: set[int] = set()
    for name, synonyms in _HEADER_KEYS.items():
        for synonym in synonyms:
            index = next(
                (i for i, key in enumerate(keys) if key == synonym and i not in taken), None
            )
            if index is not None:
                columns[name] = index
                taken.add(index)
                break
    for name, keywords in _HEADER_KEYWORDS.items():
        if columns[name] is not None:
            continue
        candidates = [
            (len(words), i)
            for i, words in enumerate(key.split() for key in keys)
            if i not in taken and any(keyword in words for keyword in keywords)
        ]
        if candidates:
            index = min(candidates)[1]
            columns[name] = index
            taken.add(index)
    return Mapping(columns=columns)


def check_mapping(mapping: Mapping, headers: list[str]) -> None:
    """Refuse a mapping that `check_rows` could not apply, saying which field to fix."""
    unknown = sorted(set(mapping.columns) - set(FIELDS))
    if unknown:
        raise InventoryFileError(f"Champ inconnu : « {unknown[0]} ».")
    default = mapping.default_category
    if default is not None and default not in DeviceCategory.codes():
        raise _mapping_error("category", f"Catégorie par défaut inconnue : « {default} ».")
    used: dict[int, str] = {}
    for name in FIELDS:
        index = mapping.columns.get(name)
        if index is None:
            continue
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(headers):
            raise _mapping_error(
                name,
                f"La colonne choisie pour « {FIELD_LABELS[name]} » n'existe pas dans le fichier.",
            )
        if index in used:
            raise _mapping_error(
                name,
                f"« {FIELD_LABELS[used[index]]} » et « {FIELD_LABELS[name]} » utilisent la même "
                f"colonne « {_column_name(headers, index)} » : une colonne ne sert qu'à un champ.",
            )
        used[index] = name
    if mapping.columns.get("category") is None and default is None:
        raise _mapping_error(
            "category",
            "Indiquez la colonne qui donne la catégorie du matériel, ou une catégorie à "
            "appliquer à toutes les lignes.",
        )


def _mapping_error(name: str, message: str) -> InventoryFileError:
    return InventoryFileError(message, fields={name: [message]})


def _column_name(headers: list[str], index: int) -> str:
    return headers[index] or f"colonne {index + 1}"


# --- Checking ------------------------------------------------------------------------------


def check_rows(
    parsed: ParsedFile,
    mapping: Mapping,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CheckedRows:
    """Check every row on its own, so that the donor sees all problems of the file at once.

    Only mapped cells are looked at: the other columns are not imported, so they can hold
    anything without bothering the donor.
    """
    check_mapping(mapping, parsed.headers)
    mapped = [(name, index) for name in FIELDS if (index := mapping.columns.get(name)) is not None]
    result = CheckedRows()
    first_row_of_serial: dict[tuple[str, str], int] = {}
    categories: dict[str, str | None] = {}  # the few distinct spellings, normalised once
    total = len(parsed.rows)
    for done, (line, cells) in enumerate(parsed.rows, start=1):
        values: dict[str, str | None] = dict.fromkeys(FIELDS)
        errors: list[RowIssue] = []
        for name, index in mapped:
            text = cells[index] if index < len(cells) else ""
            if text.casefold() in _EMPTY_MARKERS:
                text = ""
            elif text:
                prefix = _formula_prefix(text)
                if prefix is not None:
                    result.warnings.append(RowIssue(line, name, _formula_warning(prefix)))
            values[name] = text or None
            limit = MAX_LENGTHS.get(name)
            if limit is not None and len(text) > limit:
                errors.append(
                    RowIssue(
                        line,
                        name,
                        f"{_TOO_LONG[name]} ({len(text)} caractères, {limit} au maximum)",
                    )
                )
                values[name] = None

        category = _row_category(values["category"], mapping.default_category, categories)
        if category is None:
            errors.append(RowIssue(line, "category", _category_error(values["category"])))

        quantity = 1
        if values["quantity"] is not None:
            counted = _quantity(values["quantity"])
            if counted is None:
                errors.append(
                    RowIssue(
                        line,
                        "quantity",
                        f"quantité « {values['quantity']} » invalide : un nombre entier entre 1 "
                        f"et {MAX_QUANTITY} est attendu",
                    )
                )
            else:
                quantity = counted
            if quantity > 1 and values["serial"] is not None:
                errors.append(
                    RowIssue(
                        line,
                        "quantity",
                        "une ligne avec un numéro de série compte pour un seul appareil : la "
                        "quantité doit être 1 ou vide",
                    )
                )

        serial = values["serial"]
        if serial is not None:
            brand_key = (values["brand"] or "").lower()  # as Device.brand_key
            first = first_row_of_serial.setdefault((brand_key, serial), line)
            if first != line:
                same_brand = " pour la même marque" if values["brand"] else ""
                errors.append(
                    RowIssue(
                        line,
                        "serial",
                        f"numéro de série « {serial} » déjà présent ligne {first}{same_brand}",
                    )
                )

        if errors:
            result.errors.extend(errors)
        else:
            assert category is not None  # a row without a category has an error
            result.rows.append(
                InventoryRow(
                    row=line,
                    category=category,
                    brand=values["brand"],
                    model=values["model"],
                    serial=serial,
                    quantity=quantity,
                )
            )
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return result


def _formula_prefix(text: str) -> str | None:
    """The character that would make a spreadsheet read the cell as a formula, if any.

    A minus sign followed by a digit is a (negative) number, not a formula.
    """
    first = text[0]
    if first == "-":
        return "-" if text[1:2] not in _DIGITS else None
    return first if first in FORMULA_PREFIXES else None


def _formula_warning(prefix: str) -> str:
    shown = {"\t": "une tabulation", "\r": "un retour chariot"}.get(prefix, f"« {prefix} »")
    return f"la cellule commence par {shown} : elle est conservée comme texte, jamais comme formule"


def _row_category(
    text: str | None, default: str | None, cache: dict[str, str | None]
) -> str | None:
    if text is None:
        return default
    if text not in cache:
        cache[text] = _CATEGORY_BY_KEY.get(_key(text))
    return cache[text]


def _category_error(text: str | None) -> str:
    if text is None:
        return "catégorie manquante : renseignez-la ou choisissez une catégorie par défaut"
    return f"catégorie « {text} » non reconnue ; catégories acceptées : {_ACCEPTED_CATEGORIES}"


def _quantity(text: str) -> int | None:
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return None
    quantity = int(match.group(1))
    return quantity if 1 <= quantity <= MAX_QUANTITY else None


# --- Grouping ------------------------------------------------------------------------------


def group_lines(rows: Iterable[InventoryRow]) -> list[LineData]:
    """One donation line per category, brand and model, as a donor would declare them by hand.

    Brand and model are compared case-insensitively ("DELL" and "Dell" are one line) and keep
    their first spelling; lines come in the order the file first mentions them.
    """
    firsts: dict[tuple[str, str, str], InventoryRow] = {}  # dicts keep insertion order
    quantities: dict[tuple[str, str, str], int] = {}
    serials: dict[tuple[str, str, str], list[str]] = {}
    for row in rows:
        key = (row.category, (row.brand or "").lower(), (row.model or "").lower())
        if key not in firsts:
            firsts[key], quantities[key], serials[key] = row, 0, []
        quantities[key] += row.quantity
        if row.serial is not None:
            serials[key].append(row.serial)
    return [
        LineData(
            category=first.category,
            brand=first.brand,
            model=first.model,
            quantity=quantities[key],
            serials=serials[key],
        )
        for key, first in firsts.items()
    ]
