"""The handover receipt, read back from the PDF as the beneficiary and the relay would read it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest

from equipbank.handovers.receipt import (
    CHARTER,
    ReceiptDevice,
    ReceiptFollowup,
    french_datetime,
    french_duration,
    render_receipt,
)
from tests.pdfs import BANK, pages_text

DEVICE = ReceiptDevice(
    tag="EB-000123",
    category="Ordinateur portable",
    brand="Dell",
    model="Latitude 5490",
    serial="5CG1234QX007",
    grade="B : traces légères",
    specs=["Intel Core i5-8350U", "8 Go de mémoire", "256 Go de stockage", "Linux Mint 22"],
)
WINTER = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)  # 14 h 30 in Paris (UTC+1)
SUMMER = datetime(2026, 7, 7, 7, 0, tzinfo=UTC)  # 9 h in Paris (UTC+2)
FOLLOWUP = ReceiptFollowup(
    advisor="Camille Martin",
    starts_at=WINTER,
    duration_minutes=90,
    location="Dans les locaux",
    place="Maison France Services, salle 2, 3 place de la Mairie, 06440 L'Escarène",
)


def receipt(**changes) -> bytes:
    arguments = {
        "bank": BANK,
        "relay_name": "CCAS de L'Escarène",
        "relay_address": "Place de la Mairie, 06440 L'Escarène",
        "reference": "REM-2026-00042",
        "handed_on": date(2026, 11, 24),
        "beneficiary": "Marie-Thérèse Lœuillet",
        "device": DEVICE,
        "accessories": "Chargeur, sacoche, souris sans fil",
        "followup": FOLLOWUP,
        **changes,
    }
    return render_receipt(**arguments)


def test_a_typical_receipt_says_what_was_given_to_whom_and_fits_on_one_page():
    pages = pages_text(receipt())
    assert len(pages) == 1
    text = pages[0]
    assert "Bon de remise de matériel informatique" in text
    assert "REM-2026-00042" in text
    assert "CCAS de L'Escarène" in text and "Place de la Mairie, 06440 L'Escarène" in text
    assert "Banque du Numérique Nice Côte d’Azur" in text
    assert "24/11/2026" in text
    assert "Marie-Thérèse Lœuillet" in text
    assert "EB-000123" in text and "5CG1234QX007" in text
    assert "Ordinateur portable" in text and "Dell Latitude 5490" in text
    assert "B : traces légères" in text
    assert "Intel Core i5-8350U" in text and "Linux Mint 22" in text
    assert "Chargeur, sacoche, souris sans fil" in text
    assert "Page 1 / 1" in text


def test_the_appointment_is_printed_in_paris_time_with_its_advisor_and_place():
    text = pages_text(receipt())[0]
    assert "Rendez-vous d'accompagnement" in text
    assert "mardi 1er décembre 2026 à 14 h 30" in text  # 13:30 UTC, winter time
    assert "Camille Martin" in text
    assert "Dans les locaux : Maison France Services, salle 2" in text
    assert "1 h 30" in text


def test_summer_time_is_two_hours_ahead_of_utc():
    text = pages_text(receipt(followup=replace(FOLLOWUP, starts_at=SUMMER)))[0]
    assert "mardi 7 juillet 2026 à 9 h" in text
    assert "à 7 h" not in text


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (WINTER, "mardi 1er décembre 2026 à 14 h 30"),
        (SUMMER, "mardi 7 juillet 2026 à 9 h"),
        # Same instant given in another zone: still Paris time.
        (WINTER.astimezone(timezone(timedelta(hours=-5))), "mardi 1er décembre 2026 à 14 h 30"),
        # 23:05 UTC on 31 October is already Sunday 1 November in Paris.
        (datetime(2026, 10, 31, 23, 5, tzinfo=UTC), "dimanche 1er novembre 2026 à 0 h 05"),
    ],
)
def test_appointment_times_read_as_in_french(moment, expected):
    assert french_datetime(moment) == expected


def test_a_naive_appointment_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        french_datetime(datetime(2026, 12, 1, 14, 30))


@pytest.mark.parametrize(
    ("minutes", "expected"), [(45, "45 min"), (60, "1 h"), (90, "1 h 30"), (125, "2 h 05")]
)
def test_durations_read_as_in_french(minutes, expected):
    assert french_duration(minutes) == expected


def test_charter_and_both_signatures_are_there():
    text = pages_text(receipt())[0]
    assert "Charte d'utilisation du matériel" in text
    assert CHARTER[0] in text
    assert "ne peut pas être vendu" in text and "conseiller numérique" in text
    assert "Le ou la bénéficiaire" in text
    assert "Pour CCAS de L'Escarène" in text
    assert text.count("Lu et approuvé") == 2
    assert text.index("Charte d'utilisation") < text.index("Le ou la bénéficiaire")


def test_a_custom_charter_replaces_the_default_one():
    text = pages_text(receipt(charter=["Première règle du réseau.", "Seconde règle."]))[0]
    assert "Première règle du réseau. Seconde règle." in text
    assert CHARTER[0] not in text


def test_nothing_else_about_the_beneficiary_is_printed_nor_in_the_metadata():
    pdf = receipt()
    document = pdfium.PdfDocument(pdf)
    try:
        metadata = " ".join(str(value) for value in document.get_metadata_dict().values())
    finally:
        document.close()
    assert "Lœuillet" not in metadata
    assert "Bon de remise de matériel informatique" in metadata


def test_missing_device_details_are_said_not_given():
    device = ReceiptDevice("EB-000009", "Tablette", None, None, None, None, [])
    text = pages_text(receipt(device=device, accessories=None))[0]
    assert text.count("Non renseigné") == 4  # brand and model, serial, grade, specs
    assert "Accessoires Aucun" in text


def test_user_text_is_printed_as_typed():
    """No markdown, no HTML, and not fpdf2's page-count alias either, even on a second page."""
    odd = "**Dupont** <b>{nb}</b> « Œuvre » cœur"
    long_accessories = ", ".join(f"accessoire n° {index} {{nb}}" for index in range(120))
    pdf = receipt(
        beneficiary=odd,
        relay_name="Relais {nb} « Œcuménique »",
        accessories=long_accessories,
        followup=replace(FOLLOWUP, advisor="Zoé {nb} Lœw", place="Salle {nb}, bâtiment « Œ »"),
        device=replace(DEVICE, serial="{nb}-SN"),
    )
    pages = pages_text(pdf)
    assert len(pages) > 1
    text = " ".join(pages)
    assert odd in text
    assert "accessoire n° 0 {nb}" in text and "accessoire n° 119 {nb}" in text
    assert "Zoé {nb} Lœw" in text and "Salle {nb}, bâtiment « Œ »" in text
    assert "{nb}-SN" in text
    assert "Pour Relais {nb} « Œcuménique »" in pages[-1]  # written after page 1's footer
    assert all(f"Page {number} / {len(pages)}" in page for number, page in enumerate(pages, 1))


def test_the_appointment_box_is_never_split_across_pages():
    pages = pages_text(receipt(accessories="très longue liste " * 230))
    box = [page for page in pages if "Rendez-vous d'accompagnement" in page]
    assert len(box) == 1
    assert "mardi 1er décembre 2026 à 14 h 30" in box[0] and "1 h 30" in box[0]
    assert "Ce rendez-vous fait partie du don" in box[0]


def test_signatures_are_kept_with_their_captions():
    charter = [
        f"Article {index} : une règle assez longue pour prendre de la place." for index in range(40)
    ]
    pages = pages_text(receipt(charter=charter))
    assert len(pages) == 2
    assert "Le ou la bénéficiaire" in pages[1] and "Pour CCAS de L'Escarène" in pages[1]
    assert "REM-2026-00042" in pages[1]  # the footer says which receipt the page belongs to


def test_same_data_give_the_same_document():
    assert receipt() == receipt()
