"""Inventory CSV files generated at random, as spreadsheets write them: every row written is
read back, none is invented, and a file that cannot be read is refused with a French message,
never with a parser's exception."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from equipbank.donations.inventory.reader import InventoryFileError, read_inventory

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
DELIMITERS = (";", ",", "\t")

# The autouse fixture only pushes an app context: examples share nothing through it.
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def cell_characters(encoding: str, *, allowed: str) -> st.SearchStrategy[str]:
    """Printable text of `encoding`, the characters that make CSV hard (quotes, separators, line
    breaks, spaces) and accents made frequent. No control characters: they mean a binary or
    wrongly-decoded file, which the reader rightly refuses. No "\\r" in a cell: spreadsheets
    write line breaks in cells as "\\n", and the csv module does not quote a lone "\\r" when
    lines end in "\\n". No U+FEFF: at the start of a UTF-8 file it is the byte order mark."""
    return st.one_of(
        st.characters(
            codec=encoding,
            exclude_categories=("Cs", "Cc"),
            exclude_characters="\ufeff",
        ),
        st.sampled_from(allowed),
    )


@st.composite
def tables(draw):
    """(encoding, delimiter, line end, quoting, header, rows) of an inventory file.

    Header names hold no separator: a header line is how the reader tells which separator the
    file uses, and a name with more commas than the semicolons between columns would
    rightly look like a comma-separated file. At least two columns, for the same reason: a
    single column has no separator to tell.
    """
    encoding = draw(st.sampled_from(ENCODINGS))
    width = draw(st.integers(min_value=2, max_value=6))
    header_text = st.text(cell_characters(encoding, allowed="\"' éÉèàçœ°"), max_size=20)
    header = draw(
        st.lists(
            header_text.filter(lambda name: name.strip() and not set(name) & set(";,\t\n")),
            min_size=width,
            max_size=width,
        )
    )
    cell = st.text(cell_characters(encoding, allowed="\"' ;,\t\néÉèàçœ€’-="), max_size=25)
    rows = draw(
        st.lists(
            st.lists(cell, min_size=width, max_size=width).filter(
                lambda row: any(text.strip() for text in row)  # blank lines are no rows
            ),
            min_size=1,
            max_size=12,
        )
    )
    return (
        encoding,
        draw(st.sampled_from(DELIMITERS)),
        draw(st.sampled_from(("\r\n", "\n"))),
        draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL))),
        header,
        rows,
    )


def written(table) -> tuple[bytes, list[int]]:
    """The file's bytes, and the line on which each data row starts (1 is the header)."""
    encoding, delimiter, line_end, quoting, header, rows = table
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(len(io.StringIO(text.getvalue(), newline="").readlines()) + 1)
        writer.writerow(row)
    return text.getvalue().encode(encoding), starts


def utf8_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@PROPERTY
@given(tables())
def test_every_row_written_is_read_back_with_its_line_and_none_is_invented(table):
    encoding, _, _, _, header, rows = table
    content, starts = written(table)
    # Windows-1252 bytes that also form valid UTF-8 ("Ã©") are read as UTF-8, as they should
    # be: such text is what a UTF-8 file misread as Windows-1252 looks like, never a real one.
    assume(encoding != "cp1252" or content.isascii() or not utf8_text(content))

    parsed = read_inventory(content, "inventaire.csv")

    assert parsed.headers == [name.strip() for name in header]
    assert parsed.rows == [
        (line, [text.strip() for text in row]) for line, row in zip(starts, rows, strict=True)
    ]


@PROPERTY
@given(
    st.binary(max_size=400),
    st.sampled_from(("inventaire.csv", "inventaire.txt", "export", "parc.xlsx", "parc.xls")),
)
def test_any_bytes_are_read_or_refused_with_a_french_message(content, filename):
    try:
        read_inventory(content, filename)
    except InventoryFileError as error:
        assert error.message.strip()


@PROPERTY
@given(tables(), st.data())
def test_a_file_cut_anywhere_is_read_or_refused_with_a_french_message(table, data):
    """An upload interrupted mid-way: in a multi-byte character, inside a quoted cell."""
    content, _ = written(table)
    cut = data.draw(st.integers(min_value=0, max_value=len(content)))
    try:
        parsed = read_inventory(content[:cut], "inventaire.csv")
    except InventoryFileError as error:
        assert error.message.strip()
    else:
        assert len(parsed.rows) <= len(table[-1])
