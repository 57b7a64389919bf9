"""Cells that a spreadsheet would run as formulas are escaped on the way out."""

from __future__ import annotations

import pytest

from equipbank.spreadsheet import escape_formula


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Dell", "Dell"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_escape_formula(value, escaped):
    assert escape_formula(value) == escaped
