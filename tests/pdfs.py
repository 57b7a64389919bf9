"""Reading the PDFs the app makes, as a person would: their text, and their QR codes scanned."""

from __future__ import annotations

import pypdfium2
import zxingcpp

from equipbank.devices.labels import label_position
from tests.devices.test_labels import crop, read_pdf


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    finally:
        document.close()


def decode_labels(data: bytes, layout: str, count: int, offset: int = 0) -> list[str]:
    """The text of the QR code printed at each of the `count` label positions, in order."""
    pages = read_pdf(data)
    decoded = []
    for index in range(count):
        page, x, y, width, height = label_position(layout, index, offset)
        codes = zxingcpp.read_barcodes(crop(pages[page].image, x, y, width, height))
        decoded.append(codes[0].text if len(codes) == 1 else None)
    return decoded
