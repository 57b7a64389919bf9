"""The right-of-access PDF: what the bank holds about a person, printed to hand to them."""

from __future__ import annotations

from datetime import datetime

from equipbank.beneficiaries.services import BeneficiaryExport
from equipbank.clock import PARIS
from equipbank.codes import (
    AgeBand,
    AppointmentStatus,
    BeneficiaryCategory,
    DeviceCategory,
    EligibilityBasis,
    LocationType,
    ReferrerKind,
    Role,
    Topic,
    label,
)
from equipbank.donations.documents import Bank
from equipbank.pdf import Document

TITLE = "Vos données personnelles"
NONE = "—"
ACTIONS = {
    "create": "création de la fiche",
    "update": "modification de la fiche",
    "view": "consultation de la fiche",
    "edit": "ouverture de la fiche pour la modifier",
    "view_handover": "consultation d'une remise",
    "receipt": "impression du bon de remise",
    "appointment": "consultation d'un rendez-vous",
    "export": "export de vos données",
    "anonymise": "anonymisation",
    "duplicate_hit": "vérification de doublon par une autre structure",
}


def _when(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else NONE


def _action(code: str) -> str:
    return ACTIONS.get(code.removeprefix("beneficiary."), code)


def render_export(bank: Bank, export: BeneficiaryExport) -> bytes:
    person = export.beneficiary
    doc = Document(
        title=TITLE,
        author=bank.name,
        creation_date=export.exported_at,
        footer_text=f"{bank.name} · {bank.contact}",
    )
    doc.add_page()
    doc.letterhead(bank.name, [bank.address, bank.contact])
    doc.heading(TITLE)
    doc.paragraph(
        f"Document établi le {_when(export.exported_at)} à la demande de la personne "
        f"(droit d'accès, article 15 du RGPD), par {person.relay.name}."
    )
    doc.heading("Votre fiche", level=2)
    doc.facts(
        [
            ("Prénom", person.first_name or NONE),
            ("Nom", person.last_name or NONE),
            ("Année de naissance", str(person.birth_year) if person.birth_year else NONE),
            ("Tranche d'âge", label(AgeBand, person.age_band) or NONE),
            ("Commune", person.commune.name),
            ("Public", label(BeneficiaryCategory, person.category)),
            ("Orienté(e) par", label(ReferrerKind, person.referrer_kind) or NONE),
            ("Motif d'éligibilité", label(EligibilityBasis, person.eligibility_basis) or NONE),
            ("Éligibilité vérifiée par", person.eligibility_verified_by or NONE),
            (
                "Éligibilité vérifiée le",
                f"{person.eligibility_verified_on:%d/%m/%Y}"
                if person.eligibility_verified_on
                else NONE,
            ),
            ("Téléphone", person.phone or NONE),
            ("E-mail", person.email or NONE),
            ("Rappels par e-mail", "oui" if person.email_reminders else "non"),
            ("Consentement recueilli le", _when(person.consent_at)),
            ("Structure", person.relay.name),
            ("Fiche créée le", _when(person.created_at)),
            ("Anonymisée le", _when(person.anonymised_at)),
        ]
    )
    doc.heading("Équipements remis", level=2)
    if export.handovers:
        doc.data_table(
            ["Date", "Équipement", "Accessoires", "Bon", "Retour"],
            [
                [
                    _when(handover.handed_at),
                    " ".join(
                        part
                        for part in (
                            handover.device.tag,
                            label(DeviceCategory, handover.device.category),
                            handover.device.brand,
                            handover.device.model,
                        )
                        if part
                    ),
                    handover.accessories or NONE,
                    handover.receipt_ref,
                    (
                        f"{_when(handover.returned_at)} : {handover.return_reason or ''}"
                        if handover.returned_at
                        else NONE
                    ),
                ]
                for handover in export.handovers
            ],
            [1.2, 2, 1.6, 1.2, 1.6],
        )
    else:
        doc.paragraph("Aucun équipement remis.")
    doc.heading("Rendez-vous de suivi", level=2)
    if export.appointments:
        doc.data_table(
            ["Date", "Conseiller", "Lieu", "Statut", "Thèmes"],
            [
                [
                    _when(appointment.starts_at),
                    appointment.advisor.name,
                    " : ".join(
                        part
                        for part in (
                            label(LocationType, appointment.location_type),
                            appointment.place,
                        )
                        if part
                    ),
                    label(AppointmentStatus, appointment.status),
                    ", ".join(label(Topic, topic) for topic in appointment.topics) or NONE,
                ]
                for appointment in export.appointments
            ],
            [1.2, 1.4, 1.8, 1.2, 2],
        )
    else:
        doc.paragraph("Aucun rendez-vous.")
    doc.heading("Qui a consulté ou modifié votre fiche", level=2)
    doc.data_table(
        ["Date", "Action", "Par", "Rôle"],
        [
            [
                _when(access.at),
                _action(access.action),
                access.actor_name or "traitement automatique",
                label(Role, access.actor_role) if access.actor_role else NONE,
            ]
            for access in export.accesses
        ],
        [1.2, 2.4, 1.6, 1.2],
    )
    return doc.output_bytes()
