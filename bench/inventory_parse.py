"""How fast an inventory upload is read, checked and grouped: the target is well over 2,000 rows/s.

Run from the project root: `.venv/bin/python bench/inventory_parse.py [rows]`.
Files are generated in memory, as a French Excel CSV (semicolons, Windows-1252, accented
headers) and as an XLSX; each figure is the best of three runs of
read_inventory + guess_mapping + check_rows + group_lines.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl

from equipbank.donations.inventory.reader import (
    check_rows,
    group_lines,
    guess_mapping,
    read_inventory,
)

HEADERS = ["Catégorie", "Fabricant", "Modèle", "Numéro de série"]
MODELS = [
    ("Ordinateur portable", "Dell", "Latitude 5490"),
    ("PC portable", "Lenovo", "ThinkPad T480"),
    ("Unité centrale", "HP", "EliteDesk 800 G3"),
    ("Écran", "Iiyama", "ProLite E2283HS"),
    ("Tablette", "Apple", "iPad Air 2"),
    ("Téléphone mobile", "Samsung", "Galaxy A52"),
    ("Imprimante", "Brother", "HL-L2350DW"),
    ("Portable", "Toshiba", "Portégé Z30"),
]
RUNS = 3


def inventory(rows: int) -> list[list[str]]:
    return [[*MODELS[n % len(MODELS)], f"SN{n:08d}"] for n in range(rows)]


def csv_content(rows: int) -> bytes:
    lines = [";".join(HEADERS), *(";".join(row) for row in inventory(rows))]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def xlsx_content(rows: int) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Inventaire")
    sheet.append(HEADERS)
    for row in inventory(rows):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_file(content: bytes, filename: str, expected: int) -> None:
    parsed = read_inventory(content, filename)
    checked = check_rows(parsed, guess_mapping(parsed.headers))
    lines = group_lines(checked.rows)
    # A benchmark of a path that rejects everything would measure nothing.
    assert not checked.errors and len(checked.rows) == expected, checked.errors[:3]
    assert sum(line.quantity for line in lines) == expected


def best_of(runs: int, work: Callable[[], None]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for label, content, filename in (
        ("CSV cp1252 ;", csv_content(rows), "inventaire.csv"),
        ("XLSX", xlsx_content(rows), "inventaire.xlsx"),
    ):
        seconds = best_of(
            RUNS, lambda content=content, filename=filename: import_file(content, filename, rows)
        )
        print(
            f"{label:<13} {rows} rows, {len(content) / 1024:.0f} KiB: "
            f"{seconds * 1000:.0f} ms, {rows / seconds:,.0f} rows/s (best of {RUNS})"
        )


if __name__ == "__main__":
    main()
