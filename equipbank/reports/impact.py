"""The impact report a donor company downloads for its CSR report: one A4 page, in French.

It says what became of the equipment the company gave, in totals only: a donor never learns
who received its equipment, so nothing here takes a beneficiary, and the page says so. A pure
function of plain data, like the donation documents whose `Bank` it reuses.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime
from typing import cast

from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from equipbank.donations.documents import Bank
from equipbank.pdf import BODY_SIZE, FAMILY, Document
from equipbank.templating import format_date, format_number

TITLE = "Rapport d'impact de vos dons"
COLUMNS = 4
GAP = 4  # mm between boxes
NUMBER_SIZE = 22
CAPTION_SIZE = 8.5
CAPTION_LINE = 4
BOX_FILL = (232, 240, 250)  # the app's light blue
NUMBER_COLOUR = (29, 78, 137)  # the app's blue


@dataclass(frozen=True)
class ImpactFigures:
    devices_given: int
    reconditioned: int  # reached "ready" at least once
    recycled: int  # recycled or kept for parts (DEEE channel)
    in_progress: int  # today, still on the way: workshop, stock, reserved, at a relay
    handed_over: int
    beneficiaries_equipped: int
    communes_reached: int
    followups_done: int  # follow-up sessions with a conseiller numérique that took place

    def __post_init__(self) -> None:
        if any(value < 0 for value in astuple(self)):
            raise ValueError(f"impact figures are counts, not negative: {self}")


def render_impact_report(
    *, bank: Bank, donor_name: str, period_label: str, figures: ImpactFigures, issued_on: date
) -> bytes:
    """The "Rapport d'impact de vos dons": the figures as big numbers, then what they stand for.

    `period_label` completes a sentence: "du 01/01/2026 au 23/11/2026", "depuis le début".
    """
    doc = Document(
        title=f"{TITLE} – {donor_name}",
        author=bank.name,
        creation_date=datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=UTC),
        footer_text=f"{bank.name} · {bank.contact}",
    )
    doc.add_page()
    doc.letterhead(bank.name, [bank.address, bank.contact])
    doc.heading(TITLE)
    doc.facts([("Donateur", donor_name), ("Période", period_label)])
    _figures_grid(doc, _captioned(figures))
    doc.heading("Le parcours de vos équipements", level=2)
    doc.paragraph(
        "Les équipements donnés sont confiés à une entreprise d'insertion, qui efface leurs "
        "données, les reconditionne et les teste. Ils sont ensuite remis, par l'intermédiaire "
        "de structures partenaires, à des personnes en difficulté numérique et financière. "
        "Chaque remise s'accompagne d'un rendez-vous de suivi avec un conseiller numérique, "
        "pour prendre l'équipement en main. Les équipements qui ne peuvent pas être réemployés "
        "servent de pièces détachées ou sont recyclés par la filière DEEE (déchets "
        "d'équipements électriques et électroniques)."
    )
    doc.paragraph(
        "Ces chiffres sont des totaux : ce rapport ne contient aucune donnée personnelle, et "
        "aucune information sur les personnes équipées n'est transmise aux donateurs. Vous "
        "pouvez les reprendre librement dans votre rapport RSE."
    )
    doc.paragraph(f"Pour toute question sur ce rapport : {bank.contact}.")
    doc.signature_block(
        [
            f"Fait à {bank.city}, le {format_date(issued_on)}",
            f"Pour {bank.name},",
            bank.signatory_name,
            bank.signatory_title,
        ]
    )
    return doc.output_bytes()


def _captioned(figures: ImpactFigures) -> list[tuple[int, str]]:
    """Each figure with its caption, in the order of the chain: given, workshop, then people.

    French takes the singular for 0 and 1 ("0 équipement donné").
    """
    pairs = [
        (figures.devices_given, "équipement donné", "équipements donnés"),
        (figures.reconditioned, "équipement reconditionné", "équipements reconditionnés"),
        (
            figures.in_progress,
            "équipement encore en chemin aujourd'hui (atelier, stock, structures relais)",
            "équipements encore en chemin aujourd'hui (atelier, stock, structures relais)",
        ),
        (
            figures.recycled,
            "équipement recyclé (filière DEEE) ou utilisé pour ses pièces",
            "équipements recyclés (filière DEEE) ou utilisés pour leurs pièces",
        ),
        (figures.handed_over, "équipement remis", "équipements remis"),
        (figures.beneficiaries_equipped, "personne équipée", "personnes équipées"),
        (figures.communes_reached, "commune touchée", "communes touchées"),
        (
            figures.followups_done,
            "rendez-vous de suivi réalisé avec un conseiller numérique",
            "rendez-vous de suivi réalisés avec un conseiller numérique",
        ),
    ]
    return [(value, singular if value < 2 else plural) for value, singular, plural in pairs]


def _figures_grid(doc: Document, figures: list[tuple[int, str]]) -> None:
    """Boxes of a big number over its caption, four to a row, each row as tall as its longest
    caption needs."""
    width = (doc.epw - GAP * (COLUMNS - 1)) / COLUMNS
    for start in range(0, len(figures), COLUMNS):
        row = figures[start : start + COLUMNS]
        doc.set_font(FAMILY, size=CAPTION_SIZE)
        lines = max(len(_caption_lines(doc, caption, width)) for _, caption in row)
        height = 16 + lines * CAPTION_LINE + 3
        top = doc.y
        for index, (value, caption) in enumerate(row):
            _figure_box(
                doc, doc.l_margin + index * (width + GAP), top, width, height, value, caption
            )
        doc.set_xy(doc.l_margin, top + height + GAP)
    doc.set_font(FAMILY, size=BODY_SIZE)
    doc.ln(2)


def _figure_box(
    doc: Document, x: float, y: float, width: float, height: float, value: int, caption: str
) -> None:
    """One box: the number in bold, shrunk if a large one would not fit, the caption below."""
    doc.set_fill_color(*BOX_FILL)
    doc.rect(x, y, width, height, style="F")
    number = format_number(value)
    doc.set_font(FAMILY, "B", NUMBER_SIZE)
    room = width - 4
    if doc.get_string_width(number) > room:
        doc.set_font_size(NUMBER_SIZE * room / doc.get_string_width(number))
    doc.set_text_color(*NUMBER_COLOUR)
    doc.set_xy(x, y + 3)
    doc.cell(width, 10, number, align=Align.C)
    doc.set_text_color(0)
    doc.set_font(FAMILY, size=CAPTION_SIZE)
    doc.set_xy(x + 2, y + 15)
    doc.multi_cell(
        width - 4, CAPTION_LINE, caption, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _caption_lines(doc: Document, caption: str, width: float) -> list[str]:
    # multi_cell's return type depends on `output`; LINES gives the lines.
    return cast(
        list[str],
        doc.multi_cell(
            width - 4, CAPTION_LINE, caption, dry_run=True, output=MethodReturnValue.LINES
        ),
    )
