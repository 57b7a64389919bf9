"""QR label sheets, checked as a person would use them: printed (rasterised at 300 dpi),
scanned (decoded by a real QR reader, zxing-cpp) and read (the PDF's text)."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_M

from equipbank.devices.labels import (
    LAYOUTS,
    TEXT_MARGIN,
    Label,
    _qr_rows,
    label_position,
    render_labels,
)

DPI = 300
POINT_MM = 25.4 / 72
TITLE = "Banque du Numérique Nice Côte d’Azur"
CAPTIONS = [
    "Dell Latitude 5490",
    "HP EliteBook 840 G5 avec une description bien trop longue pour une étiquette",
    "",
    "Lenovo ThinkPad T480s « œuvre » d’art",
    "Supercalifragilisticexpialidocious-Ultrabook-2024-édition-limitée",
]


def make_labels(count: int) -> list[Label]:
    return [
        Label(
            tag=f"EB-{index + 1:06d}",
            url=f"https://equipbank.example.org/d/EB-{index + 1:06d}",
            caption=CAPTIONS[index % len(CAPTIONS)],
        )
        for index in range(count)
    ]


@dataclass(frozen=True)
class Glyph:
    char: str
    left: float  # mm from the page's top left corner
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Page:
    width: float  # mm
    height: float
    text: str
    glyphs: list[Glyph]
    image: Image.Image


def read_pdf(data: bytes) -> list[Page]:
    """Each page's size, text, visible glyphs and picture at 300 dpi."""
    document = pdfium.PdfDocument(data)
    try:
        return [_read_page(document[index]) for index in range(len(document))]
    finally:
        document.close()


def _read_page(page: pdfium.PdfPage) -> Page:
    width, height = page.get_size()
    textpage = page.get_textpage()
    glyphs = []
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if char.strip():
            left, bottom, right, top = textpage.get_charbox(index)
            glyphs.append(
                Glyph(
                    char,
                    left * POINT_MM,
                    (height - top) * POINT_MM,
                    right * POINT_MM,
                    (height - bottom) * POINT_MM,
                )
            )
    text = textpage.get_text_range()
    textpage.close()
    image = page.render(scale=DPI / 72).to_pil().convert("L")
    page.close()
    return Page(width * POINT_MM, height * POINT_MM, text, glyphs, image)


def pixels(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def crop(image: Image.Image, x: float, y: float, width: float, height: float) -> Image.Image:
    return image.crop((pixels(x), pixels(y), pixels(x + width), pixels(y + height)))


def words(text: str) -> str:
    """Text with line breaks as spaces: captions wrap over two lines."""
    return " ".join(text.split())


def is_blank(image: Image.Image) -> bool:
    return image.getextrema() == (255, 255)


# 23 labels after 4 used positions: 17 on the first sheet, 6 on the second.
SHEET_COUNT, SHEET_OFFSET = 23, 4


@pytest.fixture(scope="module")
def sheet_pages() -> list[Page]:
    pdf = render_labels(make_labels(SHEET_COUNT), "sheet_3x7", offset=SHEET_OFFSET, title=TITLE)
    return read_pdf(pdf)


def test_positions_follow_the_avery_l7160_geometry():
    assert label_position("sheet_3x7", 0) == pytest.approx((0, 7.2, 15.15, 63.5, 38.1))
    assert label_position("sheet_3x7", 5) == pytest.approx((0, 139.28, 53.25, 63.5, 38.1))
    last = label_position("sheet_3x7", 20)
    assert last == pytest.approx((0, 139.28, 243.75, 63.5, 38.1))
    assert last[1] + last[3] <= 210 and last[2] + last[4] <= 297
    assert label_position("sheet_3x7", 21) == pytest.approx((1, 7.2, 15.15, 63.5, 38.1))
    # The offset moves the first label along the first sheet only.
    assert label_position("sheet_3x7", 0, 4) == pytest.approx((0, 73.24, 53.25, 63.5, 38.1))
    assert label_position("sheet_3x7", 17, 4) == pytest.approx((1, 7.2, 15.15, 63.5, 38.1))
    assert label_position("single", 2) == (2, 0, 0, 63.5, 38.1)


def test_sheet_labels_scan_in_order_and_skipped_positions_stay_blank(sheet_pages):
    layout = LAYOUTS["sheet_3x7"]
    labels = make_labels(SHEET_COUNT)
    assert len(sheet_pages) == 2
    for page_number, page in enumerate(sheet_pages):
        assert (page.width, page.height) == pytest.approx((210, 297), abs=0.1)
        for slot in range(layout.per_page):
            index = page_number * layout.per_page + slot - SHEET_OFFSET
            slot_index = page_number * layout.per_page + slot
            _, x, y, width, height = label_position("sheet_3x7", slot_index)
            area = crop(page.image, x, y, width, height)
            codes = zxingcpp.read_barcodes(area)
            if 0 <= index < SHEET_COUNT:
                position = label_position("sheet_3x7", index, SHEET_OFFSET)
                assert position == (page_number, x, y, width, height)
                assert [code.text for code in codes] == [labels[index].url], (page_number, slot)
                assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
                assert codes[0].ec_level == "M"
            else:
                assert codes == [] and is_blank(area), (page_number, slot)


def test_qr_codes_are_large_enough_for_a_phone(sheet_pages):
    _, x, y, width, height = label_position("sheet_3x7", 0, SHEET_OFFSET)
    (code,) = zxingcpp.read_barcodes(crop(sheet_pages[0].image, x, y, width, height))
    corners = code.position
    width_px = max(corners.top_right.x, corners.bottom_right.x) - min(
        corners.top_left.x, corners.bottom_left.x
    )
    assert width_px / DPI * 25.4 >= 22


def test_nothing_is_printed_outside_its_label(sheet_pages):
    layout = LAYOUTS["sheet_3x7"]
    for page_number, page in enumerate(sheet_pages):
        boxes = [
            label_position("sheet_3x7", page_number * layout.per_page + slot)[1:]
            for slot in range(layout.per_page)
        ]
        # Text: each glyph lies wholly within the label it starts in.
        for glyph in page.glyphs:
            inside = [
                (x, y, width, height)
                for x, y, width, height in boxes
                if x <= glyph.left
                and glyph.right <= x + width
                and y <= glyph.top
                and glyph.bottom <= y + height
            ]
            assert len(inside) == 1, glyph
        # Anything at all (QR modules too): once the labels are painted over, the page is white.
        covered = page.image.copy()
        draw = ImageDraw.Draw(covered)
        for x, y, width, height in boxes:
            outline = (pixels(x) - 1, pixels(y) - 1, pixels(x + width) + 1, pixels(y + height) + 1)
            draw.rectangle(outline, fill=255)
        assert is_blank(covered)


def test_tags_and_title_are_text_in_label_order(sheet_pages):
    tags = [label.tag for label in make_labels(SHEET_COUNT)]
    first_sheet = sheet_pages[0].text
    positions = [first_sheet.index(tag) for tag in tags[:17]]
    assert positions == sorted(positions)
    assert all(tag in sheet_pages[1].text for tag in tags[17:])
    assert "Banque du Numérique" in first_sheet
    assert "Dell Latitude 5490" in first_sheet
    assert "Lenovo ThinkPad T480s « œuvre » d’art" in words(first_sheet)


def test_long_captions_and_titles_are_shortened_with_an_ellipsis(sheet_pages):
    text = sheet_pages[0].text
    assert "description bien trop longue pour une étiquette" not in text
    assert "…" in text


def test_single_layout_prints_one_label_per_label_sized_page():
    labels = make_labels(3)
    pages = read_pdf(render_labels(labels, "single", title=TITLE))
    assert len(pages) == 3
    for label, page in zip(labels, pages, strict=True):
        assert (page.width, page.height) == pytest.approx((63.5, 38.1), abs=0.1)
        assert [code.text for code in zxingcpp.read_barcodes(page.image)] == [label.url]
        assert label.tag in page.text


@pytest.mark.parametrize("tag", ["EB-000001", "EB-999999", "EB-1234567"])
def test_the_text_keeps_clear_of_a_roll_label_edges(tag):
    """A label printer shifts its roll and leaves its last millimetres blank: the tag, the
    title and the caption stay TEXT_MARGIN inside the label, the tag whole."""
    assert TEXT_MARGIN >= 3
    label = Label(tag, f"https://equipbank.example.org/d/{tag}", CAPTIONS[1])
    (page,) = read_pdf(render_labels([label], "single", title=TITLE))
    assert tag in page.text
    for glyph in page.glyphs:
        assert TEXT_MARGIN <= glyph.left and glyph.right <= page.width - TEXT_MARGIN, glyph
        assert TEXT_MARGIN <= glyph.top and glyph.bottom <= page.height - TEXT_MARGIN, glyph


def test_user_text_is_printed_as_typed():
    caption = "**Dell** <b>E5490</b> {nb}"  # short enough for the text column
    label = Label("EB-000001", "https://equipbank.example.org/d/EB-000001", caption)
    (page,) = read_pdf(render_labels([label], "single"))
    assert caption in words(page.text)


@pytest.mark.parametrize(
    ("layout", "offset"), [("sheet_3x7", -1), ("sheet_3x7", 21), ("single", 1)]
)
def test_offsets_outside_the_first_sheet_are_refused(layout, offset):
    with pytest.raises(ValueError):
        render_labels(make_labels(1), layout, offset=offset)
    with pytest.raises(ValueError):
        label_position(layout, 0, offset)


def test_no_labels_or_an_unknown_layout_are_refused():
    with pytest.raises(ValueError, match="aucune étiquette"):
        render_labels([])
    with pytest.raises(ValueError):
        render_labels(make_labels(1), "sheet_4x10")


def test_progress_is_reported_every_50_labels_and_at_the_end():
    calls: list[tuple[int, int]] = []
    render_labels(make_labels(120), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(50, 120), (100, 120), (120, 120)]


@pytest.mark.parametrize("length", [10, 40, 80, 150, 250])
def test_fast_mask_selection_gives_one_of_qrcode_own_symbols(length):
    """The masks are derived by XOR rather than laid out by `qrcode`: same symbols, any version."""
    data = "https://equipbank.example.org/d/" + "x" * length
    rows = _qr_rows(data)
    symbols = []
    for mask in range(8):
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=mask)
        code.add_data(data)
        code.make(fit=True)
        symbols.append(["".join("1" if dark else "0" for dark in row) for row in code.get_matrix()])
    assert rows in symbols
