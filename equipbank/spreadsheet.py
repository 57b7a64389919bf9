"""Spreadsheet (CSV) injection: cells typed by users that Excel or LibreOffice would run as
formulas, whether they come in with a donor's inventory or go out in a report export."""

from __future__ import annotations

# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: str | None) -> str | None:
    """Make a value safe to export: a spreadsheet would run "=HYPERLINK(...)" as a formula.

    The leading apostrophe makes Excel and LibreOffice show the cell as text (CSV injection).
    """
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
