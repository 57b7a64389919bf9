"""The record of processing activities (RGPD article 30) as a PDF, from the same `Notice` as
the public page: one section a processing, then the security measures."""

from __future__ import annotations

from datetime import UTC, date, datetime

from equipbank.pdf import Document
from equipbank.privacy.services import Notice

TITLE = "Registre des activités de traitement"


def render_register(notice: Notice, *, issued_on: date) -> bytes:
    """Dated by `issued_on`, so the same settings give the same bytes."""
    controller = notice.controller
    doc = Document(
        title=TITLE,
        author=controller.name,
        creation_date=datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=UTC),
        footer_text=f"{controller.name} · {controller.contact}",
    )
    doc.add_page()
    doc.letterhead(controller.name, [controller.address, controller.city, controller.contact])
    doc.heading(TITLE)
    doc.paragraph(f"Article 30 du RGPD — établi le {issued_on.strftime('%d/%m/%Y')}.")
    doc.facts(
        [
            ("Responsable du traitement", controller.name),
            ("Adresse", ", ".join(part for part in (controller.address, controller.city) if part)),
            ("Contact pour les données personnelles", controller.contact),
            ("Transferts hors de l'Union européenne", "Aucun"),
        ]
    )
    for number, processing in enumerate(notice.processings, start=1):
        doc.heading(f"{number}. {processing.name}", level=2)
        doc.facts(
            [
                ("Finalité", processing.purpose),
                ("Base légale", processing.legal_basis),
                ("Personnes concernées", processing.people),
                ("Données", _bullets(processing.data)),
                ("Destinataires", _bullets(processing.recipients)),
                (
                    "Durées de conservation",
                    _bullets(f"{item.what} : {item.how_long}" for item in processing.retention),
                ),
            ]
        )
    doc.heading("Mesures de sécurité", level=2)
    doc.paragraph(_bullets(notice.security))
    return doc.output_bytes()


def _bullets(lines) -> str:
    return "\n".join(f"• {line}" for line in lines)
