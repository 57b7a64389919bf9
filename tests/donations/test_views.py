"""Donors declare and follow their donations; staff plan pickups; companies register."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.auth.models import User
from equipbank.clock import today
from equipbank.codes import Role
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.organisations.models import Organisation
from tests import factories
from tests.pdfs import pdf_text


def line(index: int, **values) -> dict:
    defaults = {"category": "laptop", "quantity": "", "brand": "", "model": "", "serials": ""}
    defaults.update(values)
    return {f"lines-{index}-{name}": value for name, value in defaults.items()}


def test_a_donor_declares_a_donation_with_several_lines(client, donor):
    form = {
        "postal_code": "06440",
        "commune_code": "06057",
        "pickup_address": "1 rue du Port",
        "erasure_certificate_requested": "y",
    }
    form.update(line(0, quantity="2", brand="Dell", model="Latitude 5490", serials="SN-1\nSN-2"))
    added = client.post("/dons/nouveau", data={**form, "add_line": "1"})
    assert 'name="lines-1-category"' in added.text  # a second, empty line; nothing saved yet
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    form.update(line(1, category="screen", quantity="3"))
    response = client.post("/dons/nouveau", data=form)
    assert response.status_code == 302
    donation = db.session.scalar(sa.select(Donation))
    assert [(line.category, line.quantity, line.serials) for line in donation.lines] == [
        ("laptop", 2, ["SN-1", "SN-2"]),
        ("screen", 3, []),
    ]
    assert (donation.donor_id, donation.status, donation.pickup_commune_code) == (
        donor.organisation_id,
        "declared",
        "06057",
    )
    page = client.get(response.headers["Location"])
    assert donation.reference in page.text and "Latitude 5490" in page.text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (line(0, quantity="1", serials="A\nB"), "2 numéros de série pour une quantité de 1"),
        (line(0, quantity="0"), "Entre 1 et 1000"),
        (line(0, quantity="2", serials="X1\nX1"), "figure deux fois"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_saved(client, donor, values, message):
    response = client.post("/dons/nouveau", data=values)
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


def test_a_past_pickup_date_is_refused(client, donor):
    response = client.post(
        "/dons/nouveau",
        data={
            **line(0, quantity="1"),
            "preferred_pickup_on": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422 and "Choisissez une date à venir" in response.text


def test_a_donor_sees_only_its_own_donations(client, donor):
    mine = factories.donation(donor.organisation)
    theirs = factories.donation()
    listing = client.get("/dons/")
    assert mine.reference in listing.text and theirs.reference not in listing.text
    assert client.get(f"/dons/{theirs.id}").status_code == 404
    assert client.get(f"/dons/{theirs.id}/attestation.pdf").status_code == 404


def test_staff_validate_a_registered_company_before_planning_its_pickup(client, auth, app):
    company = factories.organisation("donor", name="Jeune Pousse SAS", validated_at=None)
    donation = factories.donation(company)
    staff = factories.user(Role.STAFF)
    auth.login(staff)
    planned = (today() + timedelta(days=3)).isoformat()
    refused = client.post(
        f"/dons/{donation.id}/enlevement", data={"planned_on": planned}, follow_redirects=True
    )
    assert "pas encore validé" in refused.text
    client.post(f"/dons/{donation.id}/valider-donateur")
    accepted = client.post(
        f"/dons/{donation.id}/enlevement", data={"planned_on": planned}, follow_redirects=True
    )
    assert "Enlèvement planifié" in accepted.text
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).pickup_planned_on.isoformat() == planned
    assert db.session.get(Organisation, company.id).is_validated


def test_a_company_registers_itself_and_declares_its_first_donation(client):
    form = {
        "company_name": "Boulangerie du Port",
        "siret": "732 829 320 00074",
        "company_address": "3 quai Lunel",
        "postal_code": "06300",
        "commune_code": "06088",
        "contact_name": "Marie Blanc",
        "email": "marie@boulangerie.example",
        "password": "une phrase assez longue",
        "confirm": "une phrase assez longue",
        **line(0, category="desktop", quantity="2"),
    }
    response = client.post("/dons/devenir-donateur", data=form)
    assert response.status_code == 302
    company = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Boulangerie du Port")
    )
    assert (
        company.kind == "donor" and not company.is_validated and company.siret == "73282932000074"
    )
    user = db.session.scalar(sa.select(User).where(User.email == "marie@boulangerie.example"))
    assert user.role == "donor" and user.organisation_id == company.id
    donation = db.session.scalar(sa.select(Donation).where(Donation.donor_id == company.id))
    assert donation.pickup_address == "3 quai Lunel" and donation.pickup_commune_code == "06088"
    assert client.get(response.headers["Location"]).status_code == 200  # "check your mailbox"
    client.post("/logout")
    duplicate = client.post(
        "/dons/devenir-donateur", data={**form, "email": "autre@boulangerie.example"}
    )
    assert duplicate.status_code == 422 and "déjà inscrite" in duplicate.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.email == "autre@boulangerie.example")
        )
        == 0
    )


def test_the_registration_form_ignores_robots(client):
    response = client.post(
        "/dons/devenir-donateur", data={"website": "http://spam.example", "company_name": "Spam"}
    )
    assert response.status_code in (302, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_documents_wait_until_every_device_is_erased_or_recycled(client, auth):
    donor_user = factories.user(Role.DONOR)
    donation = factories.donation(donor_user.organisation, status="received")
    erased = factories.ready_device(donation, serial="ERASED-1")
    waiting = factories.device(donation, serial="WAITING-1")
    auth.login(donor_user)
    page = client.get(f"/dons/{donation.id}")
    assert "sont disponibles dès que" in page.text
    assert client.get(f"/dons/{donation.id}/certificat-effacement.pdf").status_code == 302
    from equipbank.devices import status

    status.transition(db.session.get(type(waiting), waiting.id), "recycled", reason="Écran cassé")
    db.session.commit()
    certificate = client.get(f"/dons/{donation.id}/certificat-effacement.pdf")
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    text = pdf_text(certificate.data)
    assert "ERASED-1" in text and "WAITING-1" not in text  # exactly the erased devices
    attestation = pdf_text(client.get(f"/dons/{donation.id}/attestation.pdf").data)
    assert "ERASED-1" in attestation and "WAITING-1" in attestation
    assert erased.tag in attestation


@pytest.mark.parametrize("role", [Role.RELAY, Role.ADVISOR])
def test_relays_and_advisors_have_no_donation_pages(client, auth, role):
    auth.login(factories.user(role))
    assert client.get("/dons/").status_code == 403


def test_a_lost_device_does_not_hold_the_documents_back(client, auth):
    from equipbank.devices import status

    donor_user = factories.user(Role.DONOR)
    donation = factories.donation(donor_user.organisation, status="received")
    factories.ready_device(donation)
    lost = factories.device(donation)
    status.transition(lost, "lost", reason="Disparu pendant le transport")
    db.session.commit()
    auth.login(donor_user)
    assert client.get(f"/dons/{donation.id}/attestation.pdf").status_code == 200


def test_marking_collected_before_the_planned_pickup_asks_for_a_confirmation(client, auth):
    """Issue 13, finding 14: a click before the planned date is not taken as a collection."""
    staff = factories.user(Role.STAFF)
    planned = today() + timedelta(days=5)
    donation = factories.donation(status="declared", pickup_planned_on=planned)
    auth.login(staff)
    page = client.get(f"/dons/{donation.id}").text
    assert 'name="confirm_early"' in page
    assert f"avant la date planifiée ({planned:%d/%m/%Y})" in page

    refused = client.post(f"/dons/{donation.id}/collecte", follow_redirects=True)
    assert "confirmez" in refused.text and f"planifié le {planned:%d/%m/%Y}" in refused.text
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "declared"

    confirmed = client.post(
        f"/dons/{donation.id}/collecte", data={"confirm_early": "y"}, follow_redirects=True
    )
    assert "Don marqué comme collecté." in confirmed.text
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert (donation.status, donation.collected_on) == ("collected", today())


@pytest.mark.parametrize("days", [None, 0, -2])
def test_marking_collected_on_or_after_the_planned_day_needs_no_confirmation(client, auth, days):
    planned = None if days is None else today() + timedelta(days=days)
    donation = factories.donation(status="declared", pickup_planned_on=planned)
    auth.login(factories.user(Role.STAFF))
    assert 'name="confirm_early"' not in client.get(f"/dons/{donation.id}").text
    client.post(f"/dons/{donation.id}/collecte")
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "collected"
