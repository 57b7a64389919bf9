"""The two documents a donor company downloads: the donation attestation and the data erasure
certificate, in French, as PDF.

Pure functions of plain data: the views gather what to print. A donor never sees who received
its equipment, so nothing here takes a beneficiary. The attestation is not a tax receipt
(no Cerfa wording): it states who gave what to whom, and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from equipbank.codes import ErasureMethod
from equipbank.pdf import Document

NOT_GIVEN = "Non renseigné"
AWAITED = "en attente de réception"


@dataclass(frozen=True)
class Bank:
    name: str
    address: str | None  # None while BANK_ADDRESS is unset: left out of the documents
    contact: str  # "contact@… · 04 93 …": in the letterhead and in each page's footer
    signatory_name: str
    signatory_title: str
    city: str  # "Fait à <city>, le …"


@dataclass(frozen=True)
class Donor:
    name: str
    siret: str | None
    address: str | None
    commune: str | None  # "06000 Nice"


@dataclass(frozen=True)
class DonatedDevice:
    tag: str
    category: str  # French label
    brand: str | None
    model: str | None
    serial: str | None
    outcome: str  # French: "Reconditionné", "Recyclé (DEEE)", "En cours de reconditionnement"…


@dataclass(frozen=True)
class ErasedDevice:
    tag: str
    brand: str | None
    model: str | None
    serial: str | None
    method: str  # French label
    tool: str
    performed_on: date
    certificate_ref: str
    operator: str
    result: str  # French label


def render_attestation(
    *,
    bank: Bank,
    donor: Donor,
    reference: str,
    declared_on: date,
    received_on: date | None,
    devices: Sequence[DonatedDevice],
    issued_on: date,
) -> bytes:
    """ "Attestation de don de matériel informatique": the donor, the bank, the dates, the list."""
    title = "Attestation de don de matériel informatique"
    doc = _document(bank, title, issued_on)
    doc.heading(title)
    doc.facts(
        [
            ("Référence du don", reference),
            *_donor_facts(donor),
            ("Donataire", ", ".join(part for part in (bank.name, bank.address) if part)),
            ("Don déclaré le", _date(declared_on)),
            ("Matériel réceptionné le", _date(received_on) if received_on else AWAITED),
            ("Nombre d'équipements", str(len(devices))),
        ]
    )
    doc.paragraph(
        f"{bank.name} atteste que {donor.name} lui a fait don, à titre gracieux, "
        "du matériel informatique désigné ci-dessous."
    )
    doc.heading("Matériel donné", level=2)
    doc.data_table(
        ["N° d'inventaire", "Catégorie", "Marque et modèle", "N° de série", "Devenir"],
        [
            [
                device.tag,
                device.category,
                _brand_model(device),
                device.serial or NOT_GIVEN,
                device.outcome,
            ]
            for device in devices
        ],
        [28, 33, 44, 38, 37],  # mm on A4 portrait: "Ordinateur portable" on one line
    )
    doc.paragraph(
        "Le matériel en état de l'être est reconditionné, puis remis, par l'intermédiaire de "
        "structures partenaires, à des personnes en difficulté numérique et financière. "
        "Le matériel qui ne peut pas être réemployé est recyclé par la filière DEEE (déchets "
        "d'équipements électriques et électroniques)."
    )
    doc.paragraph(
        "Les données des supports de stockage sont effacées avant tout réemploi ; "
        "un certificat d'effacement des données est délivré séparément."
    )
    doc.signature_block(_signature_lines(bank, issued_on))
    return doc.output_bytes()


def render_erasure_certificate(
    *,
    bank: Bank,
    refurbisher: str,
    donor: Donor,
    reference: str,
    devices: Sequence[ErasedDevice],
    issued_on: date,
) -> bytes:
    """ "Certificat d'effacement des données": for each device, how, when and by whom."""
    title = "Certificat d'effacement des données"
    doc = _document(bank, title, issued_on)
    doc.heading(title)
    doc.facts(
        [
            ("Référence du don", reference),
            *_donor_facts(donor),
            ("Effacement réalisé par", refurbisher),
            ("Nombre d'équipements", str(len(devices))),
        ]
    )
    doc.paragraph(
        f"{bank.name} certifie que les données des équipements désignés ci-dessous, "
        f"issus du don de {donor.name}, ont été effacées par {refurbisher}, "
        "selon l'une des méthodes suivantes :"
    )
    doc.paragraph(
        f"• {ErasureMethod.CERTIFIED_SOFTWARE.label} : réécriture complète des supports de "
        "stockage par un logiciel d'effacement certifié, qui rend les données irrécupérables ;\n"
        f"• {ErasureMethod.MEDIA_DESTROYED_REPLACED.label} : le support de stockage d'origine a "
        "été physiquement détruit et remplacé par un support neuf ;\n"
        f"• {ErasureMethod.FACTORY_RESET.label} (smartphones et tablettes) : retour aux paramètres "
        "d'usine d'un appareil dont le stockage est chiffré, ce qui rend les données inaccessibles."
    )
    doc.heading("Équipements", level=2)
    doc.data_table(
        [
            "Équipement",
            "N° de série",
            "Méthode et outil",
            "Réalisé le, par",
            "Réf. du certificat",
            "Résultat",
        ],
        [
            [
                f"{device.tag}\n{_brand_model(device)}",
                device.serial or NOT_GIVEN,
                f"{device.method}\n{device.tool}",
                f"{_date(device.performed_on)}\n{device.operator}",
                device.certificate_ref,
                device.result,
            ]
            for device in devices
        ],
        # mm on A4 portrait: a date, a method label and a usual serial each on one line
        [32, 31, 47, 24, 29, 17],
    )
    doc.signature_block(_signature_lines(bank, issued_on))
    return doc.output_bytes()


def _document(bank: Bank, title: str, issued_on: date) -> Document:
    """A first page with the bank's letterhead; dated by `issued_on`, so the same data give
    the same bytes."""
    doc = Document(
        title=title,
        author=bank.name,
        creation_date=datetime(issued_on.year, issued_on.month, issued_on.day, tzinfo=UTC),
        footer_text=f"{bank.name} · {bank.contact}",
    )
    doc.add_page()
    doc.letterhead(bank.name, [bank.address, bank.contact])
    return doc


def _donor_facts(donor: Donor) -> list[tuple[str, str]]:
    facts = [("Donateur", donor.name)]
    if donor.siret:
        facts.append(("SIRET", _siret(donor.siret)))
    address = ", ".join(part for part in (donor.address, donor.commune) if part)
    if address:
        facts.append(("Adresse", address))
    return facts


def _signature_lines(bank: Bank, issued_on: date) -> list[str]:
    return [
        f"Fait à {bank.city}, le {_date(issued_on)}",
        f"Pour {bank.name},",
        bank.signatory_name,
        bank.signatory_title,
    ]


def _brand_model(device: DonatedDevice | ErasedDevice) -> str:
    return " ".join(part for part in (device.brand, device.model) if part) or NOT_GIVEN


def _siret(siret: str) -> str:
    """14 digits grouped as printed on a Kbis ("123 456 789 00012"); anything else as given."""
    digits = siret.replace(" ", "")
    if len(digits) == 14 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return siret


def _date(value: date) -> str:
    return f"{value:%d/%m/%Y}"
