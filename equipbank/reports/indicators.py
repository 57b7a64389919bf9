"""The roadmap's indicators (seed 000, fiches action n°2 and n°3) for a period and a territory."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import AppointmentStatus, DonationStatus, OrganisationKind
from equipbank.devices.models import Device
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.period import EVERYWHERE, Period, Territory


@dataclass(frozen=True)
class Indicators:
    # Fiche action n°2: equipping people in digital difficulty.
    beneficiaries_equipped: int
    relays_mobilised: int
    communes_reached: int
    handovers: int
    people_accompanied: int
    # Fiche action n°3: local companies.
    companies_engaged: int
    devices_given: int
    donations: int


def indicators(period: Period, territory: Territory = EVERYWHERE) -> Indicators:
    """The roadmap's indicators for a period and a territory.

    Handovers are placed by the beneficiary's commune of the day, follow-ups by the
    beneficiary's commune, companies by their own commune (a company of the territory).
    A follow-up counts in the period it was held in (`held_at`), which may be earlier than
    planned.
    """
    handed = (
        sa.select(
            sa.func.count(sa.distinct(Handover.beneficiary_id)),
            sa.func.count(sa.distinct(Handover.relay_id)),
            sa.func.count(sa.distinct(Handover.commune_code)),
            sa.func.count(Handover.id),
        )
        .join(Commune, Commune.code == Handover.commune_code)
        .where(period.covers(Handover.handed_at), territory.where())
    )
    equipped, relays, communes, handovers = db.session.execute(handed).one()
    accompanied = db.session.scalars(
        sa.select(sa.func.count(sa.distinct(Appointment.beneficiary_id)))
        .join(Beneficiary, Beneficiary.id == Appointment.beneficiary_id)
        .join(Commune, Commune.code == Beneficiary.commune_code)
        .where(
            Appointment.status == AppointmentStatus.DONE,
            period.covers(Appointment.held_at),
            territory.where(),
        )
    ).one()
    donor_in_territory = sa.select(Organisation.id).where(
        Organisation.kind == OrganisationKind.DONOR
    )
    if territory:  # a donor whose commune is not known counts only everywhere
        donor_in_territory = donor_in_territory.join(
            Commune, Commune.code == Organisation.commune_code
        ).where(territory.where())
    start, end = period.start, period.end
    companies, donations = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Donation.donor_id)), sa.func.count(Donation.id)).where(
            Donation.declared_on.between(start, end),
            Donation.status != DonationStatus.CANCELLED,
            Donation.donor_id.in_(donor_in_territory),
        )
    ).one()
    given = db.session.scalars(
        sa.select(sa.func.count(Device.id))
        .join(Donation, Donation.id == Device.donation_id)
        .where(period.covers(Device.created_at), Donation.donor_id.in_(donor_in_territory))
    ).one()
    return Indicators(
        beneficiaries_equipped=equipped,
        relays_mobilised=relays,
        communes_reached=communes,
        handovers=handovers,
        people_accompanied=accompanied,
        companies_engaged=companies,
        devices_given=given,
        donations=donations,
    )
