"""QR label sheets: one label per device, its QR code leading to the device's page.

Each label shows the QR code (error correction M, a quiet zone of 2 modules, about 25 mm wide
on a 63.5 x 38.1 mm label: read by a phone at arm's length), the device tag in large bold
type for people, a short caption and, optionally, a tiny line such as the bank's name.

QR modules are drawn as vector rectangles, not images: crisp at any printer resolution, a
small PDF (about 1 kB per label), and no image smoothing by viewers that would blur the edges
of a 29-pixel bitmap scaled up to 25 mm.

Speed: the `qrcode` package picks a mask by laying out the symbol 8 times and scoring each in
pure Python (about 6 ms a code: 6 s for 1,000 labels on a slow core). `_qr_rows` lays it out
once and derives the 7 other masks by XOR with a per-version difference that does not depend
on the data, then scores them with string and integer operations: about 2 ms a code.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import qrcode
from fpdf.enums import Align, RenderStyle
from qrcode.constants import ERROR_CORRECT_M

from equipbank.pdf import FAMILY, Document

QUIET_ZONE = 2  # light modules around the code; the label's own margin adds to it
# Millimetres kept clear between the text and the label's edges: a roll printer shifts its
# paper by a millimetre or two and leaves its last millimetres blank.
TEXT_MARGIN = 4.0
PROGRESS_EVERY = 50
ELLIPSIS = "…"
_DARK_MODULES = re.compile("1+")


@dataclass(frozen=True)
class Label:
    tag: str  # "EB-000123", printed in clear
    url: str  # the absolute URL the QR code encodes
    caption: str = ""  # "Dell Latitude 5490": shortened to fit


@dataclass(frozen=True)
class LabelLayout:
    """Where labels sit on a page, in millimetres from the page's top left corner."""

    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float
    top: float
    pitch_x: float  # from one label's left edge to the next one's
    pitch_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LAYOUTS: dict[str, LabelLayout] = {
    # Avery L7160 / J8160 and their equivalents: 21 labels on A4, 3 columns of 7.
    "sheet_3x7": LabelLayout(210, 297, 3, 7, 63.5, 38.1, 7.2, 15.15, 66.04, 38.1),
    # Label printers: one label per page, the page being the label.
    "single": LabelLayout(63.5, 38.1, 1, 1, 63.5, 38.1, 0, 0, 63.5, 38.1),
}


def layout_named(name: str) -> LabelLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"format d'étiquettes inconnu : {name}") from None


def check_offset(layout: LabelLayout, offset: int) -> None:
    """An offset skips the labels already used on the first sheet: never a whole sheet."""
    if not 0 <= offset < layout.per_page:
        raise ValueError(
            f"nombre d'étiquettes à sauter invalide : {offset} (de 0 à {layout.per_page - 1})"
        )


def label_position(
    layout: str, index: int, offset: int = 0
) -> tuple[int, float, float, float, float]:
    """(page from 0, x, y, width, height) in mm of the index-th label: rows fill left to right."""
    geometry = layout_named(layout)
    check_offset(geometry, offset)
    if index < 0:
        raise ValueError(f"rang d'étiquette invalide : {index}")
    page, slot = divmod(index + offset, geometry.per_page)
    row, column = divmod(slot, geometry.columns)
    return (
        page,
        geometry.left + column * geometry.pitch_x,
        geometry.top + row * geometry.pitch_y,
        geometry.label_width,
        geometry.label_height,
    )


def render_labels(
    labels: Sequence[Label],
    layout: str = "sheet_3x7",
    *,
    offset: int = 0,
    title: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The PDF of the labels, `offset` positions of the first sheet left blank.

    `progress(done, total)` is called every 50 labels and once at the end, for a job to
    report on a long batch.
    """
    if not labels:
        raise ValueError("aucune étiquette")
    geometry = layout_named(layout)
    check_offset(geometry, offset)
    doc = Document(
        title=f"Étiquettes ({len(labels)})",
        author=title,
        page_format=(geometry.page_width, geometry.page_height),
        margin=0,
        page_numbers=False,
    )
    doc.set_auto_page_break(False)
    doc.c_margin = 0
    total = len(labels)
    for index, label in enumerate(labels):
        page, x, y, width, height = label_position(layout, index, offset)
        while doc.page <= page:
            doc.add_page()
        _draw_label(doc, label, title, x, y, width, height)
        done = index + 1
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return doc.output_bytes()


def _draw_label(
    doc: Document, label: Label, title: str, x: float, y: float, width: float, height: float
) -> None:
    """QR code on the left, vertically centred; title, tag and caption stacked on its right."""
    margin = 2.0  # sheets shift by a millimetre or so in printers
    qr_size = min(height - 2 * margin, width * 0.44)
    _draw_qr(doc, _qr_rows(label.url), x + margin, y + (height - qr_size) / 2, qr_size)

    text_x = x + margin + qr_size + 1  # the code's quiet zone already separates them
    text_width = x + width - TEXT_MARGIN - text_x
    title_size, tag_size, caption_size = 5.5, _tag_size(doc, label.tag, text_width), 7.0
    caption = _wrap(doc, label.caption, text_width, max_lines=2, size=caption_size)
    title_line = _fit(doc, title, text_width, size=title_size) if title else ""

    lines: list[tuple[str, str, float, int]] = []  # text, style, size, grey level
    if title_line:
        lines.append((title_line, "", title_size, 80))
    lines.append((label.tag, "B", tag_size, 0))
    lines.extend((line, "", caption_size, 0) for line in caption)
    heights = [_line_height(size) + (1.2 if style == "B" else 0) for _, style, size, _ in lines]
    cursor = y + (height - sum(heights)) / 2
    for (text, style, size, grey), line_height in zip(lines, heights, strict=True):
        doc.set_font(FAMILY, style, size)
        doc.set_text_color(grey)
        doc.set_xy(text_x, cursor)
        doc.cell(text_width, line_height, text, align=Align.L)
        cursor += line_height
    doc.set_text_color(0)


def _line_height(size_pt: float) -> float:
    return size_pt * 0.3528 * 1.25


def _tag_size(doc: Document, tag: str, width: float) -> float:
    """The largest size up to 15 pt at which the whole tag fits: a tag is never shortened."""
    largest = 15.0
    doc.set_font(FAMILY, "B", largest)
    natural = doc.get_string_width(tag)
    return largest if natural <= width else largest * width / natural


def _fit(doc: Document, text: str, width: float, *, size: float) -> str:
    """The text, cut and ended with "…" if it is wider than `width` at `size`."""
    doc.set_font(FAMILY, "", size)
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _wrap(doc: Document, text: str, width: float, *, max_lines: int, size: float) -> list[str]:
    """Words in at most `max_lines` lines; what does not fit ends the last line with "…"."""
    doc.set_font(FAMILY, "", size)
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and doc.get_string_width(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = " ".join([lines[-1], *words])
    return [_fit(doc, line, width, size=size) for line in lines]


def _draw_qr(doc: Document, rows: list[str], x: float, y: float, size: float) -> None:
    """The code in a `size` mm square whose border is the light quiet zone."""
    module = size / (len(rows) + 2 * QUIET_ZONE)
    origin_x, origin_y = x + QUIET_ZONE * module, y + QUIET_ZONE * module
    for column, row, columns, row_count in _rectangles(rows):
        doc.rect(
            origin_x + column * module,
            origin_y + row * module,
            columns * module,
            row_count * module,
            style=RenderStyle.F,
        )


def _rectangles(rows: list[str]) -> list[tuple[int, int, int, int]]:
    """Dark modules as (column, row, width, height) rectangles, fewer than modules.

    Runs of dark modules in a row, each stacked with the identical runs of the rows below:
    a third fewer rectangles than runs alone, hence fewer PDF operations.
    """
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (start, end) -> first row
    for row_index, row in enumerate([*rows, ""]):
        runs = {match.span() for match in _DARK_MODULES.finditer(row)}
        for span in [span for span in open_runs if span not in runs]:
            first = open_runs.pop(span)
            done.append((span[0], first, span[1] - span[0], row_index - first))
        for span in runs:
            open_runs.setdefault(span, row_index)
    return done


# QR encoding ----------------------------------------------------------------------------

_LIGHT_RUN = re.compile("00000+")
_DARK_RUN = re.compile("11111+")
_FINDER_LIKE = ("10111010000", "00001011101")
_BITS_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")  # bytes([False, True]) -> b"01"


def _qr_rows(data: str) -> list[str]:
    """The QR code of `data` (error correction M) as rows of "0" and "1", the best mask applied.

    The mask chosen is the one with the lowest ISO/IEC 18004 penalty, as the standard asks:
    it keeps large blocks and finder-like patterns, which mislead decoders, out of the code.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    size = len(code.modules)
    base = _as_lines(code.get_matrix())
    candidates = [
        [a ^ b for a, b in zip(base, delta, strict=True)] for delta in _mask_deltas(code.version)
    ]
    best = min(candidates, key=lambda lines: _penalty(lines, size))
    return [format(row, f"0{size}b") for row in best[:size]]


def _as_lines(matrix: list[list[bool]]) -> list[int]:
    """Rows then columns of a module matrix, each as an integer (a bit per module)."""
    return [
        int(bytes(line).translate(_BITS_AS_DIGITS), 2)
        for line in (*matrix, *zip(*matrix, strict=True))
    ]


@functools.cache
def _mask_deltas(version: int) -> tuple[tuple[int, ...], ...]:
    """For each mask, what to XOR onto the mask-0 code of this version to get that mask's code.

    Two codes of one version and error level differ, from one mask to another, only in the
    data modules (flipped by both masks' patterns) and the format information (which names
    the mask): neither depends on the data, so a dummy payload gives the differences.
    """
    codes = []
    for mask in range(8):
        code = qrcode.QRCode(
            version=version, error_correction=ERROR_CORRECT_M, border=0, mask_pattern=mask
        )
        code.add_data("0")
        code.make(fit=False)
        codes.append(_as_lines(code.get_matrix()))
    return tuple(tuple(a ^ b for a, b in zip(codes[0], lines, strict=True)) for lines in codes)


def _penalty(lines: list[int], size: int) -> int:
    """The ISO/IEC 18004 (7.8.3) penalty of a code given as rows then columns."""
    text = "|".join([format(line, f"0{size}b") for line in lines])
    score = sum(len(run) - 2 for run in _LIGHT_RUN.findall(text))
    score += sum(len(run) - 2 for run in _DARK_RUN.findall(text))
    # The quiet zone counts as light on either side of a finder-like pattern.
    padded = "0000" + text.replace("|", "0000|0000") + "0000"
    score += 40 * sum(padded.count(pattern) for pattern in _FINDER_LIKE)
    full = (1 << size) - 1
    rows = lines[:size]
    for upper, lower in itertools.pairwise(rows):
        same_vertically = ~(upper ^ lower) & full
        same_block = same_vertically & (same_vertically >> 1) & ~(upper ^ (upper >> 1))
        score += 3 * (same_block & (full >> 1)).bit_count()
    dark, total = sum(row.bit_count() for row in rows), size * size
    score += 10 * ((abs(dark * 20 - total * 10) + total - 1) // total - 1)
    return score
