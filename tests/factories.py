"""Small factories: real rows through the real services where a service exists."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from equipbank.auth import services as auth_services
from equipbank.clock import utcnow
from equipbank.codes import DeviceCategory, DonationStatus, OrganisationKind, Role
from equipbank.devices import status
from equipbank.devices.models import Device, ErasureRecord
from equipbank.donations import services as donations
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.organisations.models import Organisation

PASSWORD = "correct horse battery"
_counter = itertools.count(1)

ROLE_KIND = {
    Role.STAFF: OrganisationKind.BANK,
    Role.DONOR: OrganisationKind.DONOR,
    Role.REFURBISHER: OrganisationKind.REFURBISHER,
    Role.RELAY: OrganisationKind.RELAY,
    Role.ADVISOR: OrganisationKind.RELAY,
}


def organisation(kind: str = OrganisationKind.RELAY, **fields) -> Organisation:
    n = next(_counter)
    fields.setdefault("name", f"Organisation {n}")
    fields.setdefault("commune_code", "06057")
    fields.setdefault("validated_at", utcnow())  # as when staff create it
    org = Organisation(kind=kind, **fields)
    db.session.add(org)
    db.session.commit()
    return org


def user(role: str = Role.STAFF, *, organisation_=None, is_admin: bool = False, **fields) -> object:
    n = next(_counter)
    org = organisation_ or organisation(ROLE_KIND[Role(role)])
    created = auth_services.create_user(
        email=fields.pop("email", f"user{n}@example.org"),
        name=fields.pop("name", f"Utilisateur {n}"),
        role=role,
        organisation=org,
        is_admin=is_admin,
        password=fields.pop("password", PASSWORD),
    )
    db.session.commit()
    return created


def donation(donor: Organisation | None = None, **fields) -> Donation:
    donor = donor or organisation(OrganisationKind.DONOR)
    fields.setdefault("declared_on", datetime.now(UTC).date())
    status = fields.pop("status", None)
    created = Donation(donor=donor, **fields)
    if status:  # a donation at some point of its history, as the tests need it
        donations.MACHINE.write(created, DonationStatus(status))
    db.session.add(created)
    db.session.commit()
    return created


def device(donation_: Donation | None = None, *, commit: bool = True, **fields) -> Device:
    """A device registered through the status machine, in `received`."""
    fields.setdefault("category", DeviceCategory.LAPTOP)
    fields.setdefault("brand", "Dell")
    created = Device(donation=donation_ or donation(), **fields)
    status.register(created)
    if commit:
        db.session.commit()
    return created


def erasure(device_: Device, **fields) -> ErasureRecord:
    fields.setdefault("method", "certified_software")
    fields.setdefault("tool", "Blancco Drive Eraser 7")
    fields.setdefault("certificate_ref", f"CERT-{next(_counter)}")
    fields.setdefault("operator", "Opérateur Actif Azur")
    fields.setdefault("performed_at", utcnow())
    record = ErasureRecord(device=device_, **fields)
    db.session.add(record)
    db.session.flush()
    return record


def ready_device(donation_: Donation | None = None, **fields) -> Device:
    """A device through the workshop to `ready`: erased, tested, graded."""
    created = device(donation_, commit=False, **fields)
    status.transition(created, "refurbishing")
    erasure(created)
    created.functional_tests_passed, created.grade = True, "B"
    db.session.flush()
    status.transition(created, "ready")
    db.session.commit()
    return created


def at_workshop(donation_: Donation | None = None, **fields) -> Device:
    """A device in `refurbishing`, with nothing recorded yet."""
    created = device(donation_, commit=False, **fields)
    status.transition(created, "refurbishing")
    db.session.commit()
    return created


def beneficiary(relay_user, **fields):
    """A beneficiary registered by `relay_user`'s relay, through the service."""
    from equipbank.beneficiaries import services as beneficiaries
    from equipbank.geo.models import Commune

    n = next(_counter)
    data = beneficiaries.BeneficiaryData(
        first_name=fields.pop("first_name", f"Camille{n}"),
        last_name=fields.pop("last_name", "Martin"),
        birth_year=fields.pop("birth_year", 1958),
        commune=db.session.get(Commune, fields.pop("commune", "06057")),
        category=fields.pop("category", "senior_isolated"),
        consent=True,
        **fields,
    )
    created = beneficiaries.create(data, actor=relay_user, confirmed_distinct=True)
    db.session.commit()
    return created


def at_relay(relay_user, *, staff=None, donation_: Donation | None = None) -> Device:
    """A ready device requested by, allocated to and received by `relay_user`'s relay."""
    from equipbank.requests import services as requests

    device_ = ready_device(donation_)
    request = requests.create_request(
        requests.RequestData(category=device_.category, quantity=1), actor=relay_user
    )
    db.session.flush()
    requests.allocate(request, [device_.tag], actor=staff or user(Role.STAFF))
    requests.receive(device_, actor=relay_user)
    db.session.commit()
    return device_


def followup(advisor_, *, days: int = 7, **fields):
    from datetime import timedelta

    from equipbank.appointments.services import FollowupData

    return FollowupData(
        advisor_id=advisor_.id,
        starts_at=fields.pop("starts_at", utcnow() + timedelta(days=days)),
        location_type=fields.pop("location_type", "office"),
        place=fields.pop("place", "Salle 2"),
        **fields,
    )


def handover(
    relay_user, *, advisor_=None, device_=None, beneficiary_=None, allow_overlap=True, **fields
):
    """A device handed over by `relay_user`'s relay, with its follow-up appointment (at the
    same hour as the advisor's others unless told: tests of the overlap rule say False)."""
    from equipbank.handovers import services as handovers

    device_ = device_ or at_relay(relay_user)
    beneficiary_ = beneficiary_ or beneficiary(relay_user)
    advisor_ = advisor_ or user(Role.ADVISOR, organisation_=relay_user.organisation)
    created = handovers.hand_over(
        device_,
        beneficiary_,
        handovers.HandoverData(
            charter_accepted=True, accessories=fields.pop("accessories", "Chargeur")
        ),
        followup(advisor_, **fields),
        actor=relay_user,
        allow_overlap=allow_overlap,
    )
    db.session.commit()
    return created


def equipped(
    relay_user,
    *,
    commune: str = "06057",
    on=None,
    followup_done: bool = False,
    advisor_=None,
    beneficiary_=None,
    device_=None,
    **fields,
):
    """A beneficiary of `commune` equipped by `relay_user`'s relay through the services, the
    whole story moved back to day `on` (a date, at 10:00 in Paris, or a datetime; today when
    None): the handover, its device's events, the follow-up two days later, done when
    `followup_done`."""
    from datetime import time, timedelta

    import sqlalchemy as sa

    from equipbank.appointments import services as appointments
    from equipbank.appointments.models import Appointment
    from equipbank.clock import PARIS
    from equipbank.devices.models import DeviceEvent

    advisor_ = advisor_ or user(Role.ADVISOR, organisation_=relay_user.organisation)
    beneficiary_ = beneficiary_ or beneficiary(relay_user, commune=commune, **fields)
    created = handover(relay_user, advisor_=advisor_, beneficiary_=beneficiary_, device_=device_)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == created.id)
    )
    if on is not None:
        handed_at = on if isinstance(on, datetime) else datetime.combine(on, time(10), PARIS)
        shift = handed_at - created.handed_at
        created.handed_at = handed_at
        for event in db.session.scalars(
            sa.select(DeviceEvent).where(DeviceEvent.device_id == created.device_id)
        ):
            event.at += shift
        created.device.created_at += shift
        appointment.starts_at = handed_at + timedelta(days=2)
    if followup_done:
        appointment.starts_at = min(appointment.starts_at, utcnow() - timedelta(hours=1))
        appointments.record_outcome(
            appointment,
            appointments.OutcomeData(
                status="done",
                duration_minutes=45,
                topics=["email"],
                autonomy="partly_autonomous",
                confidence=3,
            ),
            actor=advisor_,
        )
    db.session.commit()
    return created
