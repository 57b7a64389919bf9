"""The donor's documents, read back from the PDF as a person would read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest

from equipbank.donations.documents import (
    DonatedDevice,
    Donor,
    ErasedDevice,
    render_attestation,
    render_erasure_certificate,
)
from tests.pdfs import BANK

DONOR = Donor(
    name="Société Générale d’Équipements « Azur »",
    siret="12345678900012",
    address="455 promenade des Anglais",
    commune="06200 Nice",
)
MODELS = [
    ("Ordinateur portable", "Dell", "Latitude 5490"),
    ("Ordinateur fixe", "HP", "EliteDesk 800 G3 SFF"),
    ("Tablette", "Apple", "iPad 6e génération"),
    ("Écran", None, None),
]
OUTCOMES = ["Reconditionné", "Recyclé (DEEE)", "En cours de reconditionnement"]
DATES = {"declared_on": date(2026, 10, 3), "received_on": date(2026, 10, 17)}
ISSUED_ON = date(2026, 11, 22)


def serial(index: int) -> str:
    return f"5CG{index:04d}QX{index * 7:03d}"


def donated(count: int) -> list[DonatedDevice]:
    return [
        DonatedDevice(
            tag=f"EB-{index:06d}",
            category=MODELS[index % 4][0],
            brand=MODELS[index % 4][1],
            model=MODELS[index % 4][2],
            serial=serial(index),
            outcome=OUTCOMES[index % 3],
        )
        for index in range(1, count + 1)
    ]


def erased(indexes: list[int]) -> list[ErasedDevice]:
    return [
        ErasedDevice(
            tag=f"EB-{index:06d}",
            brand=MODELS[index % 4][1],
            model=MODELS[index % 4][2],
            serial=serial(index),
            method="Logiciel d'effacement certifié",
            tool="Blancco Drive Eraser 7.9",
            performed_on=date(2026, 10, 20),
            certificate_ref=f"BLC-2026-{index:05d}",
            operator="Karim Benali",
            result="Réussi",
        )
        for index in indexes
    ]


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, line breaks as spaces: table cells wrap anywhere."""
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(" ".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def attestation(devices: list[DonatedDevice], **changes) -> bytes:
    arguments = {
        "bank": BANK,
        "donor": DONOR,
        "reference": "DON-2026-0042",
        "devices": devices,
        "issued_on": ISSUED_ON,
        **DATES,
    }
    return render_attestation(**{**arguments, **changes})


def certificate(devices: list[ErasedDevice]) -> bytes:
    return render_erasure_certificate(
        bank=BANK,
        refurbisher="Actif Azur",
        donor=DONOR,
        reference="DON-2026-0042",
        devices=devices,
        issued_on=ISSUED_ON,
    )


def test_attestation_says_who_gave_what_to_whom_and_when():
    devices = donated(5)
    text = " ".join(pages_text(attestation(devices)))
    assert "Attestation de don de matériel informatique" in text
    assert "Société Générale d’Équipements « Azur »" in text
    assert "123 456 789 00012" in text
    assert "Banque du Numérique Nice Côte d’Azur" in text
    assert "DON-2026-0042" in text
    assert "03/10/2026" in text and "17/10/2026" in text
    assert "Fait à Nice, le 22/11/2026" in text
    assert "Hélène Brémond" in text and "Présidente" in text
    assert "reconditionné" in text and "DEEE" in text
    assert "difficulté numérique et financière" in text
    for device in devices:
        assert text.count(device.serial) == 1
        assert device.tag in text
    assert "iPad 6e génération" in text and "En cours de reconditionnement" in text
    for wording in ("Cerfa", "reçu fiscal", "réduction d'impôt", "bénéficiaire"):
        assert wording.lower() not in text.lower()


def test_attestation_before_reception_says_so():
    text = " ".join(pages_text(attestation(donated(1), received_on=None)))
    assert "en attente de réception" in text


def test_a_large_donation_spans_pages_with_the_table_header_on_each():
    devices = donated(60)
    pages = pages_text(attestation(devices))
    assert len(pages) >= 3
    header = "N° d'inventaire Catégorie Marque et modèle N° de série Devenir"
    assert all(header in page for page in pages if "EB-0000" in page)
    text = " ".join(pages)
    for device in devices:
        assert text.count(device.serial) == 1
    assert all(f"Page {number} / {len(pages)}" in page for number, page in enumerate(pages, 1))
    assert "Hélène Brémond" in pages[-1]


def test_missing_brand_model_or_serial_is_said_not_given():
    device = DonatedDevice("EB-000009", "Écran", None, None, None, "Recyclé (DEEE)")
    text = " ".join(pages_text(attestation([device])))
    assert text.count("Non renseigné") == 2


def test_user_text_is_printed_as_typed():
    """No markdown, no HTML, and not even fpdf2's page-count alias in what users typed."""
    device = DonatedDevice(
        "EB-000099", "Autre", "**Dell**", "<b>Latitude</b>", "{nb}", "Reconditionné"
    )
    pages = pages_text(attestation([*donated(40), device]))  # on a page after a footer
    assert "**Dell** <b>Latitude</b>" in pages[-1]
    assert "{nb}" in pages[-1]


def test_same_data_give_the_same_document():
    assert attestation(donated(3)) == attestation(donated(3))


def test_certificate_lists_exactly_the_devices_given():
    devices = erased([1, 2, 4])
    text = " ".join(pages_text(certificate(devices)))
    assert "Certificat d'effacement des données" in text
    assert "Société Générale d’Équipements « Azur »" in text
    assert "Actif Azur" in text
    for device in devices:
        assert text.count(device.serial) == 1
        assert device.tag in text and device.certificate_ref in text
    assert "EB-000003" not in text and serial(3) not in text
    assert "Blancco Drive Eraser 7.9" in text and "Karim Benali" in text
    assert "20/10/2026" in text and "Réussi" in text
    assert "Support détruit et remplacé" in text and "Réinitialisation d'usine" in text
    assert "Fait à Nice, le 22/11/2026" in text
    assert "Hélène Brémond" in text


def test_a_long_certificate_repeats_its_table_header():
    pages = pages_text(certificate(erased(list(range(1, 41)))))
    assert len(pages) >= 2
    header = "Équipement N° de série Méthode et outil"
    assert all(header in page for page in pages if "EB-0000" in page)


@pytest.mark.parametrize("render", [attestation, certificate])
def test_documents_are_pdf(render):
    pdf = render([])
    assert pdf.startswith(b"%PDF-")
    assert "Banque du Numérique" in pages_text(pdf)[0]


def test_documents_without_a_bank_address_print_no_placeholder():
    """Issue 13, finding 5: an unset BANK_ADDRESS is left out, never printed as a gap."""
    bank = replace(BANK, address=None)
    text = " ".join(pages_text(attestation(donated(1), bank=bank)))
    assert f"Donataire {bank.name} " in text
    assert "None" not in text and "BANK_ADDRESS" not in text
    certificate_text = " ".join(
        pages_text(
            render_erasure_certificate(
                bank=bank,
                refurbisher="Actif Azur",
                donor=DONOR,
                reference="DON-2026-0042",
                devices=[],
                issued_on=ISSUED_ON,
            )
        )
    )
    assert bank.name in certificate_text and "None" not in certificate_text
