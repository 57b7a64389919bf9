"""Demo data of the Pays des Paillons (seed 000): organisations, one user per role, devices.

Fixed logins, so the README and the tests can rely on them; demo data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.auth import services as auth
from equipbank.auth.models import User
from equipbank.beneficiaries import services as beneficiaries
from equipbank.clock import PARIS, utcnow
from equipbank.clock import today as local_today
from equipbank.codes import DonationStatus, OrganisationKind, Role
from equipbank.devices import services as workshop
from equipbank.devices import status
from equipbank.devices.models import DeviceEvent, ErasureRecord
from equipbank.donations import services as donations
from equipbank.donations.models import Donation, DonationLine
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers import services as handovers
from equipbank.organisations.models import Organisation
from equipbank.requests import services as requests
from equipbank.requests.models import Reservation

DEMO_PASSWORD = "equipbank-demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    organisation: str


ORGANISATIONS = [
    # kind, name, postal code, commune, extra
    (
        OrganisationKind.BANK,
        "Banque du Numérique Alpes-Maritimes",
        "06000",
        "06088",
        {"address": "33 rue Gioffredo"},  # as on its documents (demo/settings.py)
    ),
    (OrganisationKind.DONOR, "Riviera Solutions Informatiques", "06200", "06088", {}),
    (OrganisationKind.REFURBISHER, "Actif Azur", "06200", "06088", {}),
    (
        OrganisationKind.RELAY,
        "Clic & Déclic",
        "06440",
        "06057",
        {"mediation_typology": "Association", "mediation_services": "Aide aux démarches en ligne"},
    ),
    (
        OrganisationKind.RELAY,
        "Pimms Médiation Nice Côte d'Azur",
        "06300",
        "06088",
        {
            "mediation_typology": "France Services",
            "mediation_services": "Conseiller numérique itinérant",
        },
    ),
    (OrganisationKind.RELAY, "Optimizen", "06390", "06048", {"mediation_typology": "Association"}),
    (
        OrganisationKind.RELAY,
        "Carrefour des Paillons",
        "06440",
        "06057",
        {
            "mediation_typology": "Association",
            "mediation_services": "Cours informatiques pour seniors",
        },
    ),
    (
        OrganisationKind.RELAY,
        "BGE Côte d'Azur",
        "06000",
        "06088",
        {"mediation_typology": "Association"},
    ),
    (
        OrganisationKind.RELAY,
        "Fondation de Nice",
        "06000",
        "06088",
        {"mediation_typology": "Fondation"},
    ),
    (
        OrganisationKind.RELAY,
        "France Travail La Trinité",
        "06340",
        "06149",
        {"mediation_typology": "Service public"},
    ),
]

LOGINS = [
    DemoLogin("staff@demo.equipbank.fr", Role.STAFF, "Banque du Numérique Alpes-Maritimes"),
    DemoLogin("donor@demo.equipbank.fr", Role.DONOR, "Riviera Solutions Informatiques"),
    DemoLogin("refurbisher@demo.equipbank.fr", Role.REFURBISHER, "Actif Azur"),
    DemoLogin("relay@demo.equipbank.fr", Role.RELAY, "Clic & Déclic"),
    DemoLogin("relay2@demo.equipbank.fr", Role.RELAY, "Pimms Médiation Nice Côte d'Azur"),
    DemoLogin("advisor@demo.equipbank.fr", Role.ADVISOR, "Pimms Médiation Nice Côte d'Azur"),
]
NAMES = {
    Role.STAFF: "Nadia Ferrero",
    Role.DONOR: "Julien Moreau",
    Role.REFURBISHER: "Karim Benali",
    Role.RELAY: "Sophie Giordano",
    Role.ADVISOR: "Thomas Lambert",
}

LAPTOPS = [
    ("Dell", "Latitude 5490", "DL5490-"),
    ("Lenovo", "ThinkPad T480", "LT480-"),
    ("HP", "EliteBook 840 G5", "HP840-"),
]


def is_seeded() -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == LOGINS[0].email)) is not None


def seed() -> list[DemoLogin]:
    """Create the demo data; flushes, the caller commits."""
    organisations = {}
    for kind, name, postal_code, commune, extra in ORGANISATIONS:
        organisation = Organisation(
            kind=kind,
            name=name,
            postal_code=postal_code,
            commune_code=commune,
            validated_at=utcnow(),
            **extra,
        )
        db.session.add(organisation)
        organisations[name] = organisation
    db.session.flush()

    users = {}
    for login in LOGINS:
        name = "Leïla Haddad" if login.email.startswith("relay2") else NAMES[login.role]
        users[login.email] = auth.create_user(
            email=login.email,
            name=name,
            role=login.role,
            organisation=organisations[login.organisation],
            is_admin=login.role == Role.STAFF,
            password=DEMO_PASSWORD,
        )
    _seed_devices(organisations, users)
    _seed_roadmap_history(organisations, users)
    _seed_declarations(organisations, users)
    db.session.flush()
    return LOGINS


def _seed_devices(organisations: dict[str, Organisation], users: dict[str, User]) -> None:
    """A donation received five weeks ago: units waiting, at the workshop, ready, reserved,
    at Clic & Déclic, one handed over today; each step dated when it happened."""
    donor = organisations["Riviera Solutions Informatiques"]
    operator = users["refurbisher@demo.equipbank.fr"]
    donation = _received_donation(
        donor,
        45,
        [
            *(DonationLine(category="laptop", quantity=3, brand=b, model=m) for b, m, _ in LAPTOPS),
            DonationLine(category="desktop", quantity=1, brand="HP", model="ProDesk 600 G4"),
        ],
        erasure_certificate_requested=True,
    )
    received = 38  # days ago: the donation's reception, when its units were registered
    devices = []
    for index in range(9):
        brand, model, prefix = LAPTOPS[index % len(LAPTOPS)]
        intake = workshop.IntakeData(
            category="laptop", brand=brand, model=model, serial=f"{prefix}{1000 + index}"
        )
        devices.append(workshop.intake(donation, intake, actor=operator))
    desktop = workshop.intake(
        donation,
        workshop.IntakeData(
            category="desktop", brand="HP", model="ProDesk 600 G4", serial="HP600-2001"
        ),
        actor=operator,
    )
    history = {
        device: {"received": _at(received, 9, 10 * index)} for index, device in enumerate(devices)
    }
    history[desktop] = {"received": _at(received, 11, 0)}

    # Two still waiting, two at the workshop, five ready (three of them for Clic & Déclic),
    # the desktop recycled.
    for index, device in enumerate(devices[2:4]):
        status.transition(device, "refurbishing", actor=operator)
        history[device]["refurbishing"] = _at(10 - 4 * index, 14)
    for index, device in enumerate(devices[4:]):
        _make_ready(device, operator, f"BLC-2026-{4100 + index}", grade="AB"[index % 2])
        history[device] |= {"refurbishing": _at(36 - index, 9), "ready": _at(30 - 2 * index, 16)}
    status.transition(desktop, "recycled", actor=operator, reason="Carte mère hors service")
    history[desktop]["recycled"] = _at(35, 11)

    # Clic & Déclic asked for three laptops: one still to receive, one at the relay, one
    # handed over to a senior of L'Escarène with a follow-up appointment in three days.
    relay_user, staff = users["relay@demo.equipbank.fr"], users["staff@demo.equipbank.fr"]
    request = requests.create_request(
        requests.RequestData(
            category="laptop", quantity=3, note="Trois seniors de L'Escarène orientés par le CCAS."
        ),
        actor=relay_user,
    )
    db.session.flush()
    request.created_at = _at(12, 10)
    requests.allocate(request, [device.tag for device in devices[4:7]], actor=staff)
    for device in devices[4:7]:
        history[device]["reserved"] = _at(8, 11)
    for device in devices[5:7]:
        requests.receive(device, actor=relay_user)
        history[device]["at_relay"] = _at(5, 15)
    person = beneficiaries.create(
        beneficiaries.BeneficiaryData(
            first_name="Rose",
            last_name="Bianchi",
            birth_year=1950,
            commune=db.session.get(Commune, "06057"),
            category="senior_isolated",
            consent=True,
            referrer_kind="ccas",
            eligibility_basis="social_minima",
        ),
        actor=relay_user,
    )
    handover = handovers.hand_over(
        devices[6],
        person,
        handovers.HandoverData(charter_accepted=True, accessories="Chargeur, souris"),
        appointments.FollowupData(
            advisor_id=users["advisor@demo.equipbank.fr"].id,
            starts_at=(utcnow() + timedelta(days=3)).replace(
                hour=13, minute=0, second=0, microsecond=0
            ),
            location_type="office",
            place="Clic & Déclic, L'Escarène",
        ),
        actor=relay_user,
    )
    # Today, a moment ago: the receipt, its event and the person's file say the same time.
    handover.handed_at = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    history[devices[6]]["handed_over"] = handover.handed_at
    person.created_at = person.consent_at = handover.handed_at - timedelta(days=2)
    for device, moments in history.items():
        _set_history(device, moments)


# Seed 000: "5 bénéficiaires ont été équipés (2 à L'Escarène, 1 à Berre-les-Alpes, 1 à Peille,
# 1 à Blausasc), via des partenaires tels que la BGE, la Fondation de Nice et France Travail de
# la Trinité". Rose Bianchi (Clic & Déclic, today) is the fifth.
# relay, commune, first name, last name, birth year, category, handed over so many days ago
ROADMAP_HANDOVERS = [
    ("BGE Côte d'Azur", "06057", "Marcel", "Ottavi", 1948, "senior_isolated", 75),
    ("Fondation de Nice", "06015", "Yasmina", "Belkacem", 1987, "job_seeker", 60),
    ("Fondation de Nice", "06091", "Lucas", "Ferri", 2004, "young", 41),
    ("France Travail La Trinité", "06019", "Sandrine", "Roux", 1979, "job_seeker", 20),
]
# The roadmap's laptops were received together, 123 days ago; each became ready on its own
# day (so many days ago), then waited for a relay's request.
ROADMAP_RECEIVED = 123
ROADMAP_READY = (100, 96, 90, 84)
# Days before its handover at which a device was reserved, then received by the relay.
RESERVED_BEFORE, AT_RELAY_BEFORE = 9, 5


def _seed_roadmap_history(organisations: dict[str, Organisation], users: dict[str, User]) -> None:
    """Past handovers through the services, then dated back: a second donation, its four
    laptops reconditioned, requested, handed over in the Pays des Paillons, followed up."""
    operator, staff = users["refurbisher@demo.equipbank.fr"], users["staff@demo.equipbank.fr"]
    advisor = users["advisor@demo.equipbank.fr"]
    donation = _received_donation(
        organisations["Riviera Solutions Informatiques"],
        ROADMAP_RECEIVED + 7,
        [
            DonationLine(
                category="laptop",
                quantity=len(ROADMAP_HANDOVERS),
                brand="Dell",
                model="Latitude 7490",
            )
        ],
    )
    for index, (
        relay_name,
        commune,
        first_name,
        last_name,
        birth_year,
        category,
        days_ago,
    ) in enumerate(ROADMAP_HANDOVERS):
        relay = organisations[relay_name]
        relay_user = auth.create_user(
            email=f"relais{index + 3}@demo.equipbank.fr",
            name=f"Accueil {relay_name}",
            role=Role.RELAY,
            organisation=relay,
            password=DEMO_PASSWORD,
        )
        device = workshop.intake(
            donation,
            workshop.IntakeData(
                category="laptop",
                brand="Dell",
                model="Latitude 7490",
                serial=f"DL7490-{3000 + index}",
            ),
            actor=operator,
        )
        _make_ready(device, operator, f"BLC-2026-{3900 + index}")
        request = requests.create_request(
            requests.RequestData(category="laptop", quantity=1), actor=relay_user
        )
        db.session.flush()
        request.created_at = _at(days_ago + RESERVED_BEFORE + 3, 10)
        requests.allocate(request, [device.tag], actor=staff)
        requests.receive(device, actor=relay_user)
        person = beneficiaries.create(
            beneficiaries.BeneficiaryData(
                first_name=first_name,
                last_name=last_name,
                birth_year=birth_year,
                commune=db.session.get(Commune, commune),
                category=category,
                consent=True,
            ),
            actor=relay_user,
        )
        handover = handovers.hand_over(
            device,
            person,
            handovers.HandoverData(charter_accepted=True, accessories="Chargeur"),
            appointments.FollowupData(
                advisor_id=advisor.id,
                starts_at=utcnow() + timedelta(days=1),
                location_type="office",
                place=relay_name,
            ),
            actor=relay_user,
        )
        handed_at = _at(days_ago, 10, 30)
        handover.handed_at = handed_at
        handover.beneficiary.created_at = handover.beneficiary.consent_at = handed_at - timedelta(
            days=6
        )
        _set_history(
            device,
            {
                "received": _at(ROADMAP_RECEIVED, 9, 10 * index),
                "refurbishing": _at(ROADMAP_RECEIVED - 3 - index, 9),
                "ready": _at(ROADMAP_READY[index], 16),
                "reserved": _at(days_ago + RESERVED_BEFORE, 11),
                "at_relay": _at(days_ago + AT_RELAY_BEFORE, 15),
                "handed_over": handed_at,
            },
        )
        appointment = db.session.scalars(
            sa.select(Appointment).where(Appointment.handover_id == handover.id)
        ).one()
        appointment.starts_at = handed_at + timedelta(days=7)
        if days_ago > 30:  # the older follow-ups took place; the last one waits for its outcome
            appointments.record_outcome(
                appointment,
                appointments.OutcomeData(
                    status="done",
                    duration_minutes=60,
                    topics=["device_basics", "email"],
                    autonomy="partly_autonomous",
                    confidence=3,
                ),
                actor=advisor,
            )


def _received_donation(
    donor: Organisation, days_ago: int, lines: list[DonationLine], **fields
) -> Donation:
    """A donation declared `days_ago` days ago, collected in Nice a week later, received."""
    declared_on = local_today() - timedelta(days=days_ago)
    donation = Donation(
        donor=donor,
        declared_on=declared_on,
        pickup_planned_on=declared_on + timedelta(days=6),
        collected_on=declared_on + timedelta(days=6),
        received_on=declared_on + timedelta(days=7),
        pickup_address="12 avenue Jean Médecin",
        pickup_commune_code="06088",
        lines=lines,
        **fields,
    )
    donations.MACHINE.write(donation, DonationStatus.RECEIVED)  # history, as it happened
    db.session.add(donation)
    return donation


def _make_ready(device, operator: User, certificate_ref: str, *, grade: str = "A") -> None:
    """Reconditioned through the workshop's steps: erased, diagnosed, graded, ready."""
    status.transition(device, "refurbishing", actor=operator)
    db.session.add(
        ErasureRecord(
            device=device,
            method="certified_software",
            tool="Blancco Drive Eraser 7",
            certificate_ref=certificate_ref,
            operator=operator.name,
            performed_at=utcnow() - timedelta(days=3),
            recorded_by_id=operator.id,
        )
    )
    device.cpu, device.ram_gb, device.storage_gb = "Intel Core i5-8350U", 8, 256
    device.os_installed, device.keyboard_layout = "Linux Mint 22", "AZERTY"
    device.functional_tests_passed, device.grade = True, grade
    db.session.flush()
    status.transition(device, "ready", actor=operator)


def _at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the demo's past: `days_ago` days before today, at this Paris time
    (`minute` may run past the hour: one unit registered every ten minutes)."""
    day = local_today() - timedelta(days=days_ago)
    return (datetime.combine(day, time(hour), PARIS) + timedelta(minutes=minute)).astimezone(UTC)


def _set_history(device, moments: dict[str, datetime]) -> None:
    """Demo history only: each step of the device (its event to that status) moved to its
    moment in the past, the statuses themselves having gone through the machine; the intake
    date, the time in the current status, the erasure (the day before the ready) and the
    reservation follow."""
    events = db.session.scalars(
        sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.id)
    ).all()
    for event in events:
        event.at = moments.get(event.to_status, event.at)
    device.created_at, device.status_changed_at = events[0].at, events[-1].at
    if "ready" in moments:
        for record in device.erasures:
            record.performed_at = record.created_at = moments["ready"] - timedelta(days=1)
    for reservation in db.session.scalars(
        sa.select(Reservation).where(Reservation.device_id == device.id)
    ):
        reservation.reserved_at = moments["reserved"]
        if reservation.ended_at is not None:
            reservation.ended_at = moments["at_relay"]


def _seed_declarations(organisations: dict[str, Organisation], users: dict[str, User]) -> None:
    """Work waiting for the staff: a planned pickup, and a company that registered itself."""
    donor = organisations["Riviera Solutions Informatiques"]
    donations.declare_donation(
        donor,
        donations.DonationInput(
            lines=[
                donations.LineInput(
                    category="laptop", quantity=6, brand="Lenovo", model="ThinkPad T490"
                ),
                donations.LineInput(category="screen", quantity=4, brand="Dell", model="P2419H"),
            ],
            pickup_address="12 avenue Jean Médecin",
            pickup_commune=db.session.get(Commune, "06088"),
            erasure_certificate_requested=True,
        ),
        actor=users["donor@demo.equipbank.fr"],
    )
    donations.register_donor_company(
        donations.CompanyRegistration(
            company_name="Pharmacie des Paillons",
            siret="73282932000074",
            contact_name="Camille Giraud",
            email="pharmacie-paillons@demo.equipbank.fr",
            password=DEMO_PASSWORD,
            address="4 place de la Mairie",
            postal_code="06390",
            commune=db.session.get(Commune, "06048"),
        ),
        donations.DonationInput(
            lines=[
                donations.LineInput(
                    category="desktop", quantity=2, brand="HP", model="EliteDesk 800 G3"
                )
            ],
            notes="Deux unités centrales au premier étage, accès par l'arrière-boutique.",
        ),
    )
