"""The "Bon de remise de matériel informatique": the paper a beneficiary signs and takes home
when a relay hands over a device, in French, as PDF.

Pure function of plain data: the view gathers what to print. The beneficiary appears by first
and last name only (DESIGN.md §7), and not in the PDF's metadata, which travel with the file.
The follow-up appointment is printed in a framed box, because a device is never handed over
without one: the beneficiary leaves with the date, the place and the advisor's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from fpdf.enums import Align, MethodReturnValue, TableBordersLayout, VAlign, XPos, YPos
from fpdf.fonts import FontFace

from equipbank.donations.documents import Bank
from equipbank.handovers.charter import CHARTER
from equipbank.pdf import BODY_SIZE, FAMILY, GREY, SMALL_SIZE, Document

PARIS = ZoneInfo("Europe/Paris")
NOT_GIVEN = "Non renseigné"
NONE_GIVEN = "Aucun"

Fact = tuple[str, str]  # a label and its value

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

BOX_PADDING = 3  # mm between the appointment box's frame and its text
BOX_FILL = 242
COLUMN_GAP = 10  # mm between two columns: bank and relay, the two signatures
SIGNATURE_AREA = 22  # mm of blank space to sign in
LABEL_WIDTH = 40  # mm: the label column of the receipt's facts
GRID_LINE = 5  # mm


@dataclass(frozen=True)
class ReceiptDevice:
    tag: str
    category: str  # French label
    brand: str | None
    model: str | None
    serial: str | None
    grade: str | None  # French label, e.g. "B : traces légères"
    specs: list[str]  # short lines: "Intel Core i5-8350U", "8 Go de mémoire", …


@dataclass(frozen=True)
class ReceiptFollowup:
    advisor: str  # the conseiller numérique's name
    starts_at: datetime  # timezone-aware; printed in Paris time
    duration_minutes: int
    location: str  # French label of the location type, e.g. "Dans les locaux"
    place: str | None  # address or room, free text


def render_receipt(
    *,
    bank: Bank,
    relay_name: str,
    relay_address: str | None,
    reference: str,
    handed_on: date,
    beneficiary: str,
    device: ReceiptDevice,
    accessories: str | None,
    followup: ReceiptFollowup,
    charter: Sequence[str] = CHARTER,
) -> bytes:
    """One A4 page in the usual case: who gives what to whom, the appointment, the charter,
    and the two signatures."""
    title = "Bon de remise de matériel informatique"
    doc = Document(
        title=title,
        author=relay_name,
        creation_date=datetime(handed_on.year, handed_on.month, handed_on.day, tzinfo=UTC),
        # Says which receipt a second page belongs to, should the receipt run onto one.
        footer_text=f"Bon n° {reference} · {bank.name} · {bank.contact}",
    )
    doc.add_page()
    _parties(doc, bank, relay_name, relay_address)
    doc.heading(title)
    _grid(
        doc,
        [
            (("Référence", reference), ("Date de remise", f"{handed_on:%d/%m/%Y}")),
            (("Bénéficiaire", beneficiary),),
        ],
    )
    doc.ln(3)
    doc.heading("Matériel remis", level=2)
    _grid(doc, _device_rows(device))
    _long_fact(doc, "Accessoires", accessories or NONE_GIVEN)
    doc.ln(3)
    _followup_box(doc, followup, relay_name)
    doc.heading("Charte d'utilisation du matériel", level=2)
    _charter(doc, charter)
    _signatures(doc, ["Le ou la bénéficiaire", f"Pour {relay_name}"])
    return doc.output_bytes()


def french_datetime(moment: datetime) -> str:
    """The day and time as French people write them, "mardi 1er décembre 2026 à 14 h 30",
    in Paris time whatever the zone given: the clock of the place the beneficiary goes to."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an appointment time must be timezone-aware")
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    minutes = f" {local.minute:02d}" if local.minute else ""
    return (
        f"{WEEKDAYS[local.weekday()]} {day} {MONTHS[local.month - 1]} {local.year} "
        f"à {local.hour} h{minutes}"
    )


def french_duration(minutes: int) -> str:
    """A duration as French people write it: "45 min", "1 h", "1 h 30"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _device_rows(device: ReceiptDevice) -> list[tuple[Fact, ...]]:
    return [
        (("N° d'inventaire", device.tag), ("N° de série", device.serial or NOT_GIVEN)),
        (("Catégorie", device.category), ("État esthétique", device.grade or NOT_GIVEN)),
        (("Marque et modèle", _joined([device.brand, device.model], " ") or NOT_GIVEN),),
        (("Caractéristiques", " · ".join(device.specs) or NOT_GIVEN),),
    ]


def _parties(doc: Document, bank: Bank, relay_name: str, relay_address: str | None) -> None:
    """The bank on the left, as a letterhead, and level with it the relay that hands over."""
    top = doc.y
    bank_width = doc.epw * 0.55
    bank_lines = [line for line in (bank.address, bank.contact) if line]
    _party(doc, doc.l_margin, bank_width, bank.name, bank_lines)
    bottom = doc.y
    relay_left = doc.l_margin + bank_width + COLUMN_GAP
    doc.set_y(top)
    relay_lines = ["Structure relais", *([relay_address] if relay_address else [])]
    _party(doc, relay_left, doc.epw - bank_width - COLUMN_GAP, relay_name, relay_lines)
    doc.set_y(max(bottom, doc.y) + 6)


def _party(doc: Document, left: float, width: float, name: str, lines: list[str]) -> None:
    """A name in bold over small grey lines, left-aligned in a column (`Document.letterhead`
    justifies over the whole width)."""
    doc.set_x(left)
    doc.set_font(FAMILY, "B", 11)
    doc.multi_cell(width, 5.5, name, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    doc.set_font(FAMILY, size=SMALL_SIZE)
    doc.set_text_color(GREY)
    for line in lines:
        doc.multi_cell(width, 4, line, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    doc.set_text_color(0)
    doc.set_font(FAMILY, size=BODY_SIZE)


def _grid(doc: Document, rows: Sequence[tuple[Fact, ...]]) -> None:
    """Label / value pairs, two to a row or one over the whole width: `Document.facts` laid
    out in four columns, so a one-page receipt has room for its charter and signatures."""
    doc.set_font(FAMILY, size=BODY_SIZE)
    bold = FontFace(emphasis="BOLD")
    with doc.table(
        borders_layout=TableBordersLayout.NONE,
        first_row_as_headings=False,
        col_widths=(LABEL_WIDTH, 55, 33, 52),  # mm on A4: each column's longest label on one line
        text_align=Align.L,
        v_align=VAlign.T,
        line_height=GRID_LINE,
        padding=(0.4, 1, 0.4, 0),
    ) as table:
        for pairs in rows:
            row = table.row()
            for label, value in pairs:
                row.cell(label, style=bold)
                row.cell(value, colspan=1 if len(pairs) == 2 else 3)


def _long_fact(doc: Document, label: str, value: str) -> None:
    """A `_grid` row whose value may run over to the next page, which a table row cannot do:
    for free text of any length."""
    doc.set_font(FAMILY, "B", BODY_SIZE)
    if doc.will_page_break(GRID_LINE + 0.8):
        doc.add_page()
    doc.ln(0.4)
    doc.cell(LABEL_WIDTH, GRID_LINE, label)
    doc.set_font(FAMILY, size=BODY_SIZE)
    with _margins(doc, left=LABEL_WIDTH):
        doc.multi_cell(0, GRID_LINE, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(0.4)


def _followup_box(doc: Document, followup: ReceiptFollowup, relay_name: str) -> None:
    """The appointment, framed on a tinted background and kept whole on one page.

    The background has to be drawn before the text, so the content is first laid out once
    and rolled back (fpdf2's `offset_rendering`) to learn its height.
    """
    height, fits = _followup_height(doc, followup, relay_name)
    if not fits:
        doc.add_page()
        height, _ = _followup_height(doc, followup, relay_name)
    doc.set_fill_color(BOX_FILL)
    doc.set_line_width(0.6)
    doc.rect(doc.l_margin, doc.y, doc.epw, height, style="DF")
    doc.set_line_width(0.2)
    _followup_content(doc, followup, relay_name)
    doc.ln(2)


def _followup_height(
    doc: Document, followup: ReceiptFollowup, relay_name: str
) -> tuple[float, bool]:
    """The box's height, and whether it fits in what is left of the page."""
    top, page = doc.y, doc.page
    with doc.offset_rendering() as trial:
        _followup_content(doc, followup, relay_name)
        height, same_page = doc.y - top, doc.page == page
    return height, same_page and not trial.page_break_triggered


def _followup_content(doc: Document, followup: ReceiptFollowup, relay_name: str) -> None:
    place = followup.location + (f" : {followup.place}" if followup.place else "")
    doc.ln(BOX_PADDING)
    with _margins(doc, left=BOX_PADDING, right=BOX_PADDING):
        doc.set_font(FAMILY, "B", 12)
        doc.multi_cell(0, 6, "Rendez-vous d'accompagnement", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FAMILY, "B", 14)
        doc.multi_cell(
            0, 8, french_datetime(followup.starts_at), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        doc.ln(1)
        doc.facts(
            [
                ("Conseiller numérique", followup.advisor),
                ("Lieu", place),
                ("Durée prévue", french_duration(followup.duration_minutes)),
            ]
        )
        doc.set_font(FAMILY, size=SMALL_SIZE + 1)
        doc.multi_cell(
            0,
            4.5,
            "Ce rendez-vous fait partie du don. En cas d'empêchement, prévenez "
            f"{relay_name} pour fixer une autre date.",
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    doc.ln(BOX_PADDING)


def _charter(doc: Document, charter: Sequence[str]) -> None:
    doc.set_font(FAMILY, size=SMALL_SIZE + 0.5)
    for paragraph in charter:
        doc.multi_cell(0, 3.9, paragraph, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1)
    doc.ln(2)


def _signatures(doc: Document, captions: list[str]) -> None:
    """Side by side, each caption over "Lu et approuvé" and a framed blank area; kept whole,
    on a new page if need be, so a signature is never apart from its caption."""
    width = (doc.epw - COLUMN_GAP) / len(captions)
    doc.set_font(FAMILY, "B", size=10)
    # multi_cell's return type depends on `output`; HEIGHT gives the height in mm.
    caption_height = max(
        cast(
            float, doc.multi_cell(width, 5, caption, dry_run=True, output=MethodReturnValue.HEIGHT)
        )
        for caption in captions
    )
    needed = caption_height + 5 + SIGNATURE_AREA
    if doc.y + needed > doc.page_break_trigger:
        doc.add_page()
    top = doc.y
    for index, caption in enumerate(captions):
        left = doc.l_margin + index * (width + COLUMN_GAP)
        doc.set_xy(left, top)
        doc.set_font(FAMILY, "B", size=10)
        doc.multi_cell(width, 5, caption, new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_xy(left, top + caption_height)
        doc.set_font(FAMILY, size=SMALL_SIZE)
        doc.set_text_color(GREY)
        doc.cell(width, 5, "Mention « Lu et approuvé » et signature")
        doc.set_text_color(0)
        doc.set_draw_color(170)
        doc.rect(left, top + caption_height + 5, width, SIGNATURE_AREA)
        doc.set_draw_color(0)
    doc.set_font(FAMILY, size=BODY_SIZE)
    doc.set_xy(doc.l_margin, top + needed + 2)


@contextmanager
def _margins(doc: Document, *, left: float = 0, right: float = 0) -> Iterator[None]:
    """Moves the margins in by `left` and `right` mm, so the usual helpers write in a column
    or inside a frame."""
    old_left, old_right = doc.l_margin, doc.r_margin
    doc.set_left_margin(old_left + left)
    doc.set_right_margin(old_right + right)
    doc.set_x(doc.l_margin)
    try:
        yield
    finally:
        doc.set_left_margin(old_left)
        doc.set_right_margin(old_right)
        doc.set_x(old_left)


def _joined(parts: Sequence[str | None], separator: str = ", ") -> str:
    return separator.join(part for part in parts if part)
