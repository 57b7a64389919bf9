"""Each role's pages on a phone (390 px, touch): the menu folds under one button that opens
and closes with a tap or the keyboard, and no page scrolls sideways, pushes its content down
under the header or has a target too small for a finger (`Walk.check`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from equipbank.appointments.models import Appointment
from equipbank.codes import OrganisationKind, Role
from equipbank.extensions import db
from tests import factories
from tests.browser.conftest import small_targets

HOMES = {
    Role.STAFF: "/equipe",
    Role.DONOR: "/donateur",
    Role.REFURBISHER: "/atelier",
    Role.RELAY: "/relais",
    Role.ADVISOR: "/conseiller",
}


@pytest.fixture
def world():
    """Everyone, with names as long as real ones, and a donation whose device went through to
    a handover."""
    staff = factories.user(
        Role.STAFF,
        is_admin=True,
        organisation_=factories.organisation(
            OrganisationKind.BANK, name="Banque du Numérique Alpes-Maritimes"
        ),
        name="Marie-Christine Dupont-Lefèvre",
    )
    donor = factories.user(
        Role.DONOR,
        organisation_=factories.organisation(
            OrganisationKind.DONOR,
            name="Société Méditerranéenne de Services Informatiques et Bureautiques",
        ),
    )
    workshop = factories.user(
        Role.REFURBISHER,
        organisation_=factories.organisation(
            OrganisationKind.REFURBISHER, name="Actif Azur, entreprise d'insertion"
        ),
    )
    relay = factories.user(
        Role.RELAY,
        organisation_=factories.organisation(name="Pimms Médiation Nice Côte d'Azur"),
        email="accueil.pimms-mediation-nice-cote-azur@example.org",
    )
    advisor = factories.user(Role.ADVISOR, organisation_=relay.organisation)
    donation = factories.donation(donor.organisation)
    at_workshop = factories.at_workshop(donation, model="Latitude 5490", serial="DL-0001")
    handover = factories.handover(
        relay, advisor_=advisor, device_=factories.at_relay(relay, staff=staff, donation_=donation)
    )
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    return {
        Role.STAFF: (staff, [f"/dons/{donation.id}", f"/remises/{handover.id}", "/compte"]),
        Role.DONOR: (donor, [f"/dons/{donation.id}", "/dons/importer/"]),
        Role.REFURBISHER: (
            workshop,
            [
                f"/dons/{donation.id}",
                f"/dons/{donation.id}/reception",
                f"/dons/{donation.id}/etiquettes",
                f"/equipements/{at_workshop.tag}",
                f"/equipements/{at_workshop.tag}/atelier",
            ],
        ),
        Role.RELAY: (
            relay,
            [
                f"/remises/{handover.id}",
                f"/beneficiaires/{handover.beneficiary_id}",
                f"/rendez-vous/{appointment.id}",
                "/demandes/nouvelle",
            ],
        ),
        Role.ADVISOR: (advisor, [f"/rendez-vous/{appointment.id}"]),
    }


@pytest.mark.parametrize("role", list(HOMES), ids=[role.value for role in HOMES])
def test_each_role_signs_in_and_uses_its_pages_on_a_phone(walk, world, role):
    user, details = world[role]
    phone = walk(role.value, phone=True)
    phone.login(user)
    home = phone.page.url.removeprefix(phone.base_url)
    assert home == HOMES[role]
    menu = phone.page.locator("details.menu")
    toggle = phone.page.get_by_role("navigation", name="Navigation principale").locator("summary")

    # Folded: the menu is one button, its entries out of the way.
    expect(toggle).to_be_visible()
    links = menu.locator("ul a")
    expect(links.first).to_be_hidden()
    phone.step("home")
    phone.check()

    # A tap opens it, on entries a finger hits; a second tap folds it.
    toggle.tap()
    expect(links.first).to_be_visible()
    phone.step("menu open")
    assert not small_targets(phone.page)
    entries = [links.nth(i).get_attribute("href") for i in range(links.count())]
    toggle.tap()
    expect(links.first).to_be_hidden()

    # The keyboard too: Enter on the focused button opens it.
    toggle.focus()
    phone.page.keyboard.press("Enter")
    expect(links.first).to_be_visible()
    phone.page.keyboard.press("Enter")
    expect(links.first).to_be_hidden()

    for path in [entry for entry in entries if entry != home] + details:
        phone.goto(path)
        phone.step(path)
        phone.check()
