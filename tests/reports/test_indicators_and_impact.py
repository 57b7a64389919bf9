"""Roadmap indicators and donor impact against counts made independently from the raw rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.audit.models import AuditEvent
from equipbank.clock import PARIS, today
from equipbank.codes import OrganisationKind, Role
from equipbank.devices import status
from equipbank.devices.models import Device, DeviceEvent
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.donors import donor_impact
from equipbank.reports.indicators import indicators
from equipbank.reports.period import Period, Territory
from equipbank.reports.stock import IN_STOCK
from tests import factories
from tests.pdfs import pdf_text

PAILLONS = Territory(epci="240600593")
START = today() - timedelta(days=90)


def _donor(name: str, commune: str) -> Organisation:
    return factories.organisation(OrganisationKind.DONOR, name=name, commune_code=commune)


@pytest.fixture
def activity():
    """Two local companies (Contes, L'Escarène) and one in Nice; handovers by three relays,
    inside and outside the Pays des Paillons and the period."""
    contes, escarene, nice = (
        _donor("Menuiserie de Contes", "06048"),
        _donor("Boulangerie", "06057"),
        _donor("Nice Data", "06088"),
    )
    factories.donation(contes, declared_on=START + timedelta(days=5))
    factories.donation(contes, declared_on=START + timedelta(days=6))
    factories.donation(escarene, declared_on=START - timedelta(days=5))  # before the period
    factories.donation(nice, declared_on=START + timedelta(days=5))  # outside the territory
    factories.donation(escarene, declared_on=START + timedelta(days=7), status="cancelled")
    given = factories.donation(contes, declared_on=START + timedelta(days=8))
    for _ in range(3):
        factories.device(given)
    stockpile = factories.donation(nice, declared_on=START - timedelta(days=60))
    nowhere = factories.organisation(OrganisationKind.DONOR, name="Sans adresse", commune_code=None)
    factories.device(
        factories.donation(nowhere, declared_on=START + timedelta(days=9))
    )  # counts everywhere only
    advisor = factories.user(Role.ADVISOR)
    relays = [factories.user(Role.RELAY) for _ in range(3)]

    def give(relay, commune, day, **fields):
        device = factories.at_relay(relay, donation_=stockpile)
        factories.equipped(
            relay,
            commune=commune,
            on=START + timedelta(days=day),
            advisor_=advisor,
            device_=device,
            **fields,
        )

    give(relays[0], "06057", 10, followup_done=True)
    give(relays[0], "06019", 11)
    give(relays[1], "06091", 12, followup_done=True)
    give(relays[2], "06088", 13, followup_done=True)
    give(relays[2], "06057", -13)


def _in(period: Period, moment) -> bool:
    return period.start <= moment.astimezone(PARIS).date() <= period.end


def _commune_in(territory: Territory, code: str | None) -> bool:
    if territory.epci is None:
        return True
    commune = db.session.get(Commune, code) if code else None
    return commune is not None and commune.epci_code == territory.epci


@pytest.mark.parametrize("territory", [PAILLONS, Territory()])
def test_indicators_match_the_raw_rows(activity, territory):
    period = Period.of(START, today())
    handed = [
        h
        for h in db.session.scalars(sa.select(Handover))
        if _in(period, h.handed_at) and _commune_in(territory, h.commune_code)
    ]
    done = [
        a
        for a in db.session.scalars(sa.select(Appointment))
        if a.status == "done"
        and _in(period, a.held_at)
        and _commune_in(territory, a.beneficiary.commune_code)
    ]
    donations = [
        d
        for d in db.session.scalars(sa.select(Donation))
        if period.start <= d.declared_on <= period.end
        and d.status != "cancelled"
        and _commune_in(territory, d.donor.commune_code)
    ]
    devices = [
        d
        for d in db.session.scalars(sa.select(Device))
        if _in(period, d.created_at) and _commune_in(territory, d.donation.donor.commune_code)
    ]
    figures = indicators(period, territory)
    assert figures.beneficiaries_equipped == len({h.beneficiary_id for h in handed})
    assert figures.relays_mobilised == len({h.relay_id for h in handed})
    assert figures.communes_reached == len({h.commune_code for h in handed})
    assert figures.handovers == len(handed)
    assert figures.people_accompanied == len({a.beneficiary_id for a in done})
    assert figures.companies_engaged == len({d.donor_id for d in donations})
    assert figures.donations == len(donations)
    assert figures.devices_given == len(devices)
    if territory == PAILLONS:
        assert (
            figures.beneficiaries_equipped,
            figures.relays_mobilised,
            figures.companies_engaged,
        ) == (3, 2, 1)
        assert (figures.people_accompanied, figures.devices_given, figures.donations) == (2, 3, 3)
    else:
        # Nice's stockpile (declared before the period) gave the four devices received in it.
        assert (figures.companies_engaged, figures.donations, figures.devices_given) == (3, 5, 8)


def test_donor_impact_matches_the_raw_rows():
    donor = factories.organisation(OrganisationKind.DONOR)
    other = factories.organisation(OrganisationKind.DONOR)
    relay_user = factories.user(Role.RELAY)
    mine = factories.donation(donor)
    handed = [
        factories.equipped(
            relay_user, device_=factories.at_relay(relay_user, donation_=mine), followup_done=i == 0
        )
        for i in range(2)
    ]
    factories.ready_device(mine)
    scrap = factories.device(mine)
    status.transition(scrap, "parts", reason="Pièces")
    factories.device(mine)
    factories.ready_device(factories.donation(other))  # someone else's
    db.session.commit()

    period = Period.of(today() - timedelta(days=30), today())
    figures = donor_impact(donor, period)
    own_ids = {
        d.id
        for d in db.session.scalars(
            sa.select(Device).join(Donation).where(Donation.donor_id == donor.id)
        )
    }
    events = [
        e
        for e in db.session.scalars(sa.select(DeviceEvent))
        if e.device_id in own_ids and _in(period, e.at)
    ]
    handovers = [h for h in db.session.scalars(sa.select(Handover)) if h.device_id in own_ids]
    assert figures.devices_given == len(own_ids) == 5
    assert (
        figures.reconditioned == len({e.device_id for e in events if e.to_status == "ready"}) == 3
    )
    assert (
        figures.recycled
        == len({e.device_id for e in events if e.to_status in ("recycled", "parts")})
        == 1
    )
    assert figures.handed_over == len(handovers) == len(handed)
    assert figures.beneficiaries_equipped == len({h.beneficiary_id for h in handovers})
    assert figures.communes_reached == len({h.commune_code for h in handovers})
    assert figures.followups_done == 1
    in_progress = db.session.scalar(
        sa.select(sa.func.count()).where(Device.id.in_(own_ids), Device.status.in_(IN_STOCK))
    )
    assert figures.in_progress == in_progress == 2


def test_a_period_before_the_donation_shows_zeros_but_today_in_progress():
    donor = factories.organisation(OrganisationKind.DONOR)
    factories.device(factories.donation(donor))
    figures = donor_impact(donor, Period.of(date(2020, 1, 1), date(2020, 12, 31)))
    assert (figures.devices_given, figures.reconditioned, figures.handed_over) == (0, 0, 0)
    assert figures.in_progress == 1


def test_the_impact_pdf_is_the_donors_own(client, auth):
    donor_user = factories.user(Role.DONOR)
    factories.ready_device(factories.donation(donor_user.organisation))
    other = factories.organisation(OrganisationKind.DONOR, name="Autre Entreprise")
    for _ in range(3):
        factories.ready_device(factories.donation(other))
    auth.login(donor_user)
    # A donor cannot look at another donor's figures by editing the URL: it is always its own.
    response = client.get("/rapports/impact.pdf", query_string={"donor": other.id})
    assert response.status_code == 200
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "report.export"))
    assert audit.summary["filters"]["donor"] == str(donor_user.organisation_id)
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert donor_user.organisation.name in text
    assert "Autre Entreprise" not in text
    page = client.get("/rapports/impact", query_string={"donor": other.id}).get_data(as_text=True)
    assert donor_user.organisation.name in page and "Autre Entreprise" not in page
