"""What each device category asks of the workshop (issue 13, finding 6): a screen or a printer
becomes ready without an erasure it has no storage for, and its diagnostic asks only for the
measures it has; the donor's documents no longer wait for it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from equipbank.codes import DeviceCategory, Role
from equipbank.devices import services, status
from equipbank.devices.models import Device
from equipbank.errors import InvalidTransition, ValidationFailed
from equipbank.extensions import db
from tests import factories
from tests.pdfs import pdf_text

MEASURES = (
    "cpu",
    "ram_gb",
    "storage_gb",
    "screen_inches",
    "battery_health_pct",
    "os_installed",
    "keyboard_layout",
)
# Written out by hand, independently of equipbank/devices/categories.py.
EXPECTED = {
    "laptop": (True, set(MEASURES)),
    "desktop": (True, {"cpu", "ram_gb", "storage_gb", "os_installed", "keyboard_layout"}),
    "tablet": (
        True,
        {"ram_gb", "storage_gb", "screen_inches", "battery_health_pct", "os_installed"},
    ),
    "smartphone": (
        True,
        {"ram_gb", "storage_gb", "screen_inches", "battery_health_pct", "os_installed"},
    ),
    "screen": (False, {"screen_inches"}),
    "printer": (False, set()),
    "other": (True, set(MEASURES)),
}
# A plausible value of each measure, as a form and the API send it.
VALUES = {
    "cpu": "Intel Core i5-8350U",
    "ram_gb": 8,
    "storage_gb": 256,
    "screen_inches": "24.0",
    "battery_health_pct": 87,
    "os_installed": "Linux Mint 22",
    "keyboard_layout": "AZERTY",
}

# The same, as the service takes them.
TYPED = {**VALUES, "screen_inches": Decimal("24.0")}


def test_every_category_is_in_the_table():
    assert set(EXPECTED) == set(DeviceCategory.codes())


def graded(category: str) -> Device:
    """A unit at the workshop, tested and graded, not erased."""
    device = factories.device(commit=False, category=category)
    status.transition(device, "refurbishing")
    device.grade, device.functional_tests_passed = "B", True
    db.session.commit()
    return device


@pytest.fixture
def workshop_user():
    return factories.user(Role.REFURBISHER)


@pytest.mark.parametrize("category", EXPECTED)
def test_ready_needs_an_erasure_only_for_what_stores_data(category):
    device = graded(category)
    needs_erasure, _ = EXPECTED[category]
    if needs_erasure:
        assert any("effacement" in item for item in status.ready_missing(device))
        with pytest.raises(InvalidTransition, match="effacement"):
            status.transition(device, "ready")
        factories.erasure(device)
    assert status.ready_missing(device) == []
    status.transition(device, "ready")
    assert device.status == "ready"


@pytest.mark.parametrize("category", EXPECTED)
def test_grade_and_tests_are_still_needed_whatever_the_category(category):
    device = factories.device(commit=False, category=category)
    status.transition(device, "refurbishing")
    factories.erasure(device)
    with pytest.raises(InvalidTransition, match=r"tests fonctionnels.*grade"):
        status.transition(device, "ready")


@pytest.mark.parametrize("category", EXPECTED)
def test_the_workshop_form_shows_the_measures_of_the_category_only(
    client, auth, workshop_user, category
):
    auth.login(workshop_user)
    device = graded(category)
    page = client.get(f"/equipements/{device.tag}/atelier").text
    shown = {name for name in MEASURES if re.search(rf'name="{name}"', page)}
    assert shown == EXPECTED[category][1]
    needs_erasure = EXPECTED[category][0]
    assert ("un effacement des données réussi" in page) == needs_erasure
    assert ("peut passer « Prêt »" in page) == (not needs_erasure)


@pytest.mark.parametrize("category", EXPECTED)
def test_the_workshop_form_saves_the_measures_of_the_category(
    client, auth, workshop_user, category
):
    auth.login(workshop_user)
    device = factories.device(category=category)
    measures = EXPECTED[category][1]
    # Everything posted, as a hand-made request could: only the category's measures are read.
    response = client.post(
        f"/equipements/{device.tag}/diagnostic",
        data={**{name: str(value) for name, value in VALUES.items()}, "notes": "RAS"},
    )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    saved = db.session.get(Device, device.id)
    assert {name for name in MEASURES if getattr(saved, name) is not None} == measures
    assert saved.notes == "RAS" and saved.status == "refurbishing"


@pytest.mark.parametrize("category", EXPECTED)
def test_the_service_refuses_a_measure_the_category_has_not(workshop_user, category):
    device = factories.device(category=category)
    measures = EXPECTED[category][1]
    foreign = [name for name in MEASURES if name not in measures]
    if foreign:
        with pytest.raises(ValidationFailed) as refusal:
            services.record_diagnostics(
                device,
                services.Diagnostics(**{foreign[0]: TYPED[foreign[0]]}),
                actor=workshop_user,
            )
        assert list(refusal.value.fields) == [foreign[0]]
        assert "Ne s'applique pas" in refusal.value.fields[foreign[0]][0]
    own = {name: TYPED[name] for name in measures}
    services.record_diagnostics(device, services.Diagnostics(**own), actor=workshop_user)
    assert {name: getattr(device, name) for name in own} == own


@pytest.fixture
def workshop_headers(api_token, workshop_user):
    return api_token(workshop_user)


@pytest.mark.parametrize("category", EXPECTED)
def test_the_api_takes_the_measures_of_the_category_and_refuses_the_others(
    client, workshop_headers, category
):
    device = factories.device(category=category)
    measures = EXPECTED[category][1]
    everything = client.post(
        f"/api/v1/devices/{device.tag}/diagnostics", json=VALUES, headers=workshop_headers
    )
    if measures != set(MEASURES):
        assert everything.status_code == 422
        assert set(everything.get_json()["error"]["fields"]) == set(MEASURES) - measures
    own = client.post(
        f"/api/v1/devices/{device.tag}/diagnostics",
        json={name: VALUES[name] for name in measures},
        headers=workshop_headers,
    )
    assert own.status_code == 200, own.get_json()
    body = own.get_json()
    assert body["status"] == "refurbishing"
    assert {name for name in MEASURES if body[name] is not None} == measures


@pytest.mark.parametrize("category", EXPECTED)
def test_ready_through_the_api_follows_the_category(client, workshop_headers, category):
    device = factories.device(category=category)
    response = client.post(
        f"/api/v1/devices/{device.tag}/transition",
        json={"to": "ready", "grade": "A", "functional_tests_passed": True},
        headers=workshop_headers,
    )
    if EXPECTED[category][0]:
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "ready_guard"
    else:
        assert response.status_code == 200 and response.get_json()["status"] == "ready"


@pytest.mark.parametrize("category", EXPECTED)
def test_the_donor_documents_wait_only_for_what_stores_data(client, auth, category):
    donor_user = factories.user(Role.DONOR)
    donation = factories.donation(donor_user.organisation, status="received")
    laptop = factories.ready_device(donation, serial="ERASED-1")
    waiting = factories.device(donation, category=category, serial="AT-WORKSHOP-1")
    auth.login(donor_user)
    attestation = client.get(f"/dons/{donation.id}/attestation.pdf")
    if EXPECTED[category][0]:
        assert attestation.status_code == 302  # waits for its erasure
        return
    assert attestation.status_code == 200
    text = " ".join(pdf_text(attestation.data).split())
    assert laptop.tag in text and waiting.tag in text
    assert "En cours de reconditionnement" in text
    certificate = pdf_text(client.get(f"/dons/{donation.id}/certificat-effacement.pdf").data)
    assert "ERASED-1" in certificate and "AT-WORKSHOP-1" not in certificate


def test_a_donation_of_screens_only_has_an_attestation_and_no_empty_certificate(client, auth):
    donor_user = factories.user(Role.DONOR)
    donation = factories.donation(donor_user.organisation, status="received")
    factories.device(donation, category="screen")
    factories.device(donation, category="printer")
    auth.login(donor_user)
    page = client.get(f"/dons/{donation.id}").text
    assert "Attestation de don (PDF)" in page
    assert "Certificat d'effacement des données (PDF)" not in page
    assert client.get(f"/dons/{donation.id}/attestation.pdf").status_code == 200
    certificate = client.get(f"/dons/{donation.id}/certificat-effacement.pdf")
    assert certificate.status_code == 302
    page = client.get(certificate.headers["Location"]).text
    assert "pas de certificat d'effacement" in page
