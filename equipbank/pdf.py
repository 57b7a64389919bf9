"""The shared base of every PDF of the app: fonts, margins, footer, metadata and a few helpers.

fpdf2's core fonts only know Latin-1, which has no œ, ’ nor €: every document embeds DejaVu
Sans instead (vendored in `pdf_fonts/`, subsetted by fpdf2 to the glyphs used). Text is always
written as plain text: no helper turns on fpdf2's markdown or HTML, so a brand or a serial typed
by a user is printed as typed.

The same goes for fpdf2's total-pages alias ("{nb}"), replaced in any text written while it is
on: `Document` turns it on only for the page number in the footer (see `header`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, TableHeadingsDisplay, VAlign, XPos, YPos
from fpdf.fonts import FontFace

FONTS_DIR = Path(__file__).parent / "pdf_fonts"
FAMILY = "DejaVu"

BODY_SIZE = 10
SMALL_SIZE = 8
GREY = 90
LIGHT_GREY = 225
FOOTER_HEIGHT = 12  # mm kept free above the bottom margin for the footer lines


class Document(FPDF):
    """An fpdf2 document in millimetres with DejaVu Sans set, page numbers and metadata.

    `footer_text` is one small line printed above the page number (the bank's contact, say);
    `page_numbers=False` and `margin=0` suit pages that are not documents, like label sheets.
    """

    def __init__(
        self,
        *,
        title: str,
        author: str,
        creation_date: datetime | None = None,
        footer_text: str = "",
        page_format: str | tuple[float, float] = "A4",
        margin: float = 15,
        page_numbers: bool = True,
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format=page_format)
        self.add_font(FAMILY, "", FONTS_DIR / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
        self.set_font(FAMILY, size=BODY_SIZE)
        self.set_margins(margin, margin, margin)
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # fpdf2 documents None as "off"; its hint says str
        self.footer_text = footer_text
        self.page_numbers = page_numbers
        has_footer = page_numbers or bool(footer_text)
        self.set_auto_page_break(True, margin=margin + (FOOTER_HEIGHT if has_footer else 0))
        self.set_title(title)
        self.set_author(author)
        self.set_creator("equipbank")
        self.set_lang("fr")
        if creation_date is not None:
            self.set_creation_date(creation_date)

    def header(self) -> None:
        """Turns the total-pages alias off again for the page's own text (see `footer`)."""
        self.alias_nb_pages(None)  # type: ignore[arg-type]  # fpdf2 documents None as "off"; its hint says str

    def footer(self) -> None:
        """The optional footer line, then "Page n / N", centred under the bottom margin.

        The alias is turned on just before the page number and left on: fpdf2 replaces it when
        the document is closed, right after the last footer, and `header` turns it off for
        the next page's text.
        """
        if not (self.page_numbers or self.footer_text):
            return
        self.set_y(-self.b_margin + 2)
        self.set_text_color(GREY)
        if self.footer_text:
            self.set_font(FAMILY, size=7)
            width = self.get_string_width(self.footer_text)
            if width > self.epw:
                self.set_font_size(7 * self.epw / width)
            self.cell(0, 4, self.footer_text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.page_numbers:
            self.set_font(FAMILY, size=7)
            self.alias_nb_pages()
            self.cell(0, 4, f"Page {self.page_no()} / {{nb}}", align=Align.C)
        self.set_text_color(0)

    def letterhead(self, name: str, lines: list[str | None]) -> None:
        """The issuer at the top of a first page: its name in bold, then small grey lines."""
        self.set_font(FAMILY, "B", 11)
        self.multi_cell(0, 5.5, name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=SMALL_SIZE)
        self.set_text_color(GREY)
        for line in lines:
            if line:  # an unset setting (BANK_ADDRESS) is left out, not printed empty
                self.multi_cell(0, 4, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.set_font(FAMILY, size=BODY_SIZE)
        self.ln(6)

    def heading(self, text: str, level: int = 1) -> None:
        """A bold title: level 1 for the document's title, level 2 for a section."""
        size = 15 if level == 1 else 12
        self.ln(2 if level == 1 else 3)
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, size=BODY_SIZE)
        self.ln(2)

    def paragraph(self, text: str) -> None:
        """Body text wrapped to the page width, with a little space after it."""
        self.set_font(FAMILY, size=BODY_SIZE)
        self.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        """Label / value lines ("Donateur : ACME"), labels in bold in a column of their own.

        Laid out as a borderless table so a long value wraps under itself, not under its label.
        """
        self.set_font(FAMILY, size=BODY_SIZE)
        with self.table(
            borders_layout=TableBordersLayout.NONE,
            first_row_as_headings=False,
            col_widths=(1, 2.6),
            text_align=Align.L,
            v_align=VAlign.T,
            line_height=5,
            padding=(0.4, 1, 0.4, 0),
        ) as table:
            for label, value in pairs:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD"))
                row.cell(value)
        self.ln(3)

    def data_table(self, headers: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """A bordered table over the page width; `widths` are relative column weights.

        Cells wrap, a row is never split across two pages, and the header row is printed
        again at the top of each page the table continues on.
        """
        self.set_font(FAMILY, size=SMALL_SIZE + 0.5)
        self.set_draw_color(160)
        with self.table(
            col_widths=tuple(widths),
            text_align=Align.L,
            line_height=4,
            padding=(1, 1.2),
            headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT_GREY),
            repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE,
        ) as table:
            table.row(headers)
            for cells in rows:
                table.row(cells)
        self.set_draw_color(0)
        self.set_font(FAMILY, size=BODY_SIZE)
        self.ln(4)

    def signature_block(self, lines: list[str]) -> None:
        """Lines on the right half of the page above a framed blank area to sign and stamp.

        Kept whole: it starts a new page rather than leave the signature apart from its name.
        """
        line_height, area_height = 5, 28
        needed = len(lines) * line_height + area_height + 4
        if self.y + needed > self.page_break_trigger:
            self.add_page()
        left = self.l_margin + self.epw / 2
        width = self.epw / 2
        self.set_font(FAMILY, size=BODY_SIZE)
        for line in lines:
            self.set_x(left)
            self.multi_cell(width, line_height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_draw_color(170)
        self.rect(left, self.y, width, area_height)
        self.set_draw_color(0)
        self.set_y(self.y + area_height + 2)

    def output_bytes(self) -> bytes:
        """The finished PDF (fpdf2 gives a bytearray, which is mutable)."""
        return bytes(self.output())
