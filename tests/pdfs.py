"""Reading the PDFs the app makes, as a person would: their text, and their QR codes scanned."""

from __future__ import annotations

import re

import pypdfium2
import zxingcpp

from equipbank.devices.labels import label_position
from equipbank.donations.documents import Bank
from tests.devices.test_labels import crop, read_pdf

# The bank printed on the documents the tests render.
BANK = Bank(
    name="Banque du Numérique Nice Côte d’Azur",
    address="12 avenue Jean Médecin, 06000 Nice",
    contact="contact@banque-numerique.example.org · 04 93 00 00 00",
    signatory_name="Hélène Brémond",
    signatory_title="Présidente",
    city="Nice",
)


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(
            document[index].get_textpage().get_text_range() for index in range(len(document))
        )
    finally:
        document.close()


def pages_text(data: bytes) -> list[str]:
    """Each page's text, line breaks as spaces (cells, captions and paragraphs wrap anywhere),
    the narrow no-break spaces of French numbers kept."""
    document = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(re.sub(r"[ \r\n]+", " ", textpage.get_text_range()).strip())
            textpage.close()
            page.close()
        return texts
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
