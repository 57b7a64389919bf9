"""Donations: a donor declares what it gives; staff plan the pickup; the workshop receives it.

A donation's status follows a small table of its own (`MACHINE`); the devices it brings have
theirs in `equipbank.devices.status`. Services take plain data and an actor, check, write,
audit and flush; the caller commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from equipbank.audit import services as audit
from equipbank.auth.models import User
from equipbank.clock import PARIS, today
from equipbank.codes import (
    DeviceCategory,
    DeviceStatus,
    DonationStatus,
    ErasureMethod,
    ErasureResult,
    OrganisationKind,
    Role,
)
from equipbank.devices import status
from equipbank.devices.categories import needs_erasure
from equipbank.devices.models import Device, ErasureRecord, format_tag
from equipbank.donations import documents
from equipbank.donations.inventory.reader import MAX_QUANTITY
from equipbank.donations.models import Donation, DonationLine
from equipbank.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.organisations.models import Organisation
from equipbank.status_machine import Move, StatusMachine

# A typed line beyond this is a typo (the form and the JSON schema say so); an imported
# line groups identical rows and may reach the size of a whole inventory.
MAX_TYPED_QUANTITY = MAX_QUANTITY
MAX_LINE_QUANTITY = 20_000
# The form shows 50 lines and the JSON schema takes 500; an imported inventory groups its rows
# into as many lines as it has distinct models, up to its number of rows.
MAX_LINES = 20_000

# Who moves a donation where: staff plan and close, the workshop's intake receives it.
MACHINE = StatusMachine(
    DonationStatus,
    (
        Move(frozenset({DonationStatus.DECLARED}), DonationStatus.COLLECTED),
        Move(
            frozenset({DonationStatus.DECLARED, DonationStatus.COLLECTED}), DonationStatus.RECEIVED
        ),
        Move(
            frozenset({DonationStatus.DECLARED, DonationStatus.COLLECTED}), DonationStatus.CANCELLED
        ),
        Move(frozenset({DonationStatus.RECEIVED}), DonationStatus.CLOSED),
    ),
    describe=lambda donation: f"Le don {donation.reference}",
)
# Donations whose units the workshop may still register.
INTAKE_OPEN = (DonationStatus.DECLARED, DonationStatus.COLLECTED, DonationStatus.RECEIVED)


@dataclass
class LineInput:
    category: str
    quantity: int
    brand: str | None = None
    model: str | None = None
    serials: list[str] = field(default_factory=list)


@dataclass
class DonationInput:
    lines: list[LineInput]
    pickup_address: str | None = None
    pickup_commune: Commune | None = None
    preferred_pickup_on: date | None = None
    erasure_certificate_requested: bool = False
    notes: str | None = None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _line_errors(index: int, line: LineInput) -> dict[str, list[str]]:
    prefix = f"lines.{index}"
    errors: dict[str, list[str]] = {}
    if line.category not in DeviceCategory.codes():
        errors[f"{prefix}.category"] = [f"Catégorie inconnue : {line.category!r}."]
    if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_LINE_QUANTITY:
        errors[f"{prefix}.quantity"] = [f"Une quantité entre 1 et {MAX_LINE_QUANTITY}."]
    elif len(line.serials) > line.quantity:
        errors[f"{prefix}.serials"] = [
            f"{len(line.serials)} numéros de série pour une quantité de {line.quantity}."
        ]
    for name, limit in (("brand", 100), ("model", 150)):
        if len(getattr(line, name) or "") > limit:
            errors[f"{prefix}.{name}"] = [f"{limit} caractères au plus."]
    if any(len(serial) > 100 for serial in line.serials):
        errors[f"{prefix}.serials"] = ["Un numéro de série a 100 caractères au plus."]
    return errors


def normalise_lines(lines: Iterable[LineInput]) -> list[LineInput]:
    return [
        LineInput(
            category=line.category,
            quantity=line.quantity,
            brand=_clean(line.brand),
            model=_clean(line.model),
            serials=[serial for serial in (_clean(s) for s in line.serials) if serial],
        )
        for line in lines
    ]


def check_lines(lines: list[LineInput]) -> None:
    """Refuse lines that cannot be a donation: no line, bad quantities, repeated serials."""
    if not lines:
        raise ValidationFailed(
            "Déclarez au moins une ligne d'équipements.", fields={"lines": ["Au moins une ligne."]}
        )
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"{MAX_LINES} lignes au plus par don.")
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        errors.update(_line_errors(index, line))
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(lines):
        for serial in line.serials:
            key = ((line.brand or "").lower(), serial)
            if key in seen:
                errors.setdefault(f"lines.{index}.serials", []).append(
                    f"Le numéro de série {serial} figure deux fois (ligne {seen[key] + 1})."
                )
            seen.setdefault(key, index)
    registered = registered_serials(seen)
    for index, line in enumerate(lines):
        for serial in line.serials:
            tag = registered.get(((line.brand or "").lower(), serial))
            if tag:
                errors.setdefault(f"lines.{index}.serials", []).append(
                    f"Le numéro de série {serial} ({line.brand or 'sans marque'}) est déjà enregistré : {tag}."
                )
    if errors:
        raise ValidationFailed("Certaines lignes du don sont invalides.", fields=errors)


def registered_serials(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The asset tag of each (lower-cased brand, serial) already registered on a device."""
    keys = list(keys)
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), 500):  # stay under the engines' bound-parameter limits
        chunk = keys[start : start + 500]
        query = sa.select(Device.id, Device.brand_key, Device.serial).where(
            Device.serial.in_({serial for _, serial in chunk})
        )
        wanted = set(chunk)
        for device_id, brand_key, serial in db.session.execute(query):
            if (brand_key, serial) in wanted:
                found[(brand_key, serial)] = format_tag(device_id)
    return found


def check_pickup(data: DonationInput) -> None:
    """The pickup part of a declaration (also checked before an import job is started)."""
    if data.preferred_pickup_on and data.preferred_pickup_on < today():
        raise ValidationFailed(
            "La date d'enlèvement souhaitée est passée.",
            fields={"preferred_pickup_on": ["Choisissez une date à venir."]},
        )
    if data.pickup_address and len(data.pickup_address) > 300:
        raise ValidationFailed(
            "Adresse trop longue.", fields={"pickup_address": ["300 caractères au plus."]}
        )


def donor_for(actor: User, donor_id: int | None) -> Organisation:
    """Who declares: a donor for its own organisation; the bank's staff name a donor."""
    if actor.role == Role.DONOR:
        if donor_id not in (None, actor.organisation_id):
            raise ValidationFailed(
                "donor_id est réservé à l'équipe.", fields={"donor_id": ["Réservé à l'équipe."]}
            )
        return actor.organisation
    if donor_id is None:
        raise ValidationFailed("Indiquez le donateur.", fields={"donor_id": ["Champ obligatoire."]})
    donor = db.session.get(Organisation, donor_id)
    if donor is None or donor.kind != OrganisationKind.DONOR:
        raise ValidationFailed(
            "Donateur inconnu.", fields={"donor_id": ["Organisation donatrice inconnue."]}
        )
    return donor


def declare(data: DonationInput, *, donor_id: int | None, actor: User) -> Donation:
    """The declaration of the page and the API: for the donor `donor_for` says."""
    return declare_donation(donor_for(actor, donor_id), data, actor=actor)


def declare_donation(donor: Organisation, data: DonationInput, *, actor: User) -> Donation:
    """A donor's declaration: lines of equipment, where and when to pick them up."""
    if donor.kind != OrganisationKind.DONOR or not donor.is_active:
        raise ValidationFailed(
            "Seule une organisation donatrice active peut déclarer un don.",
            fields={"donor_id": ["Organisation donatrice active attendue."]},
        )
    lines = normalise_lines(data.lines)
    check_lines(lines)
    check_pickup(data)
    donation = Donation(
        donor=donor,
        declared_on=today(),
        pickup_address=_clean(data.pickup_address),
        pickup_commune_code=data.pickup_commune.code if data.pickup_commune else None,
        preferred_pickup_on=data.preferred_pickup_on,
        erasure_certificate_requested=data.erasure_certificate_requested,
        notes=_clean(data.notes),
        created_by_id=getattr(actor, "id", None),
        lines=[
            DonationLine(
                category=line.category,
                quantity=line.quantity,
                brand=line.brand,
                model=line.model,
                serials=line.serials,
            )
            for line in lines
        ],
    )
    MACHINE.write(donation, DonationStatus.DECLARED)
    db.session.add(donation)
    audit.record(
        "donation.declare",
        donation,
        actor=actor,
        summary={"donor_id": donor.id, "lines": len(lines), "quantity": donation.declared_quantity},
    )
    return donation


DATE_OF = {
    DonationStatus.COLLECTED: "collected_on",
    DonationStatus.RECEIVED: "received_on",
    DonationStatus.CLOSED: "closed_on",
}


def move(donation: Donation, target: DonationStatus, *, actor: User, only_if=None) -> None:
    """Move a donation along `MACHINE`'s table, as a compare-and-set (plus `only_if`): when
    someone else changed the donation meanwhile, nothing is written and the person is told."""
    source, target = MACHINE.check(donation, target)
    values = {DATE_OF[target]: today()} if target in DATE_OF else {}
    MACHINE.compare_and_set(donation, source, target, only_if=only_if, values=values)
    audit.record("donation.status", donation, actor=actor, summary={"from": source, "to": target})


def plan_pickup(donation: Donation, planned_on: date, *, actor: User) -> None:
    """Staff set the pickup date; never for a donor the bank has not validated yet."""
    if not donation.donor.is_validated:
        raise ValidationFailed(
            f"« {donation.donor.name} » n'est pas encore validé : validez l'organisation avant "
            "de planifier l'enlèvement.",
            code="donor_not_validated",
        )
    if donation.status not in (DonationStatus.DECLARED, DonationStatus.COLLECTED):
        raise InvalidTransition(
            f"Le don {donation.reference} est « {DonationStatus(donation.status).label} » : l'enlèvement "
            "ne se planifie plus."
        )
    if planned_on < today():
        raise ValidationFailed(
            "La date d'enlèvement est passée.",
            fields={"planned_on": ["Choisissez une date à venir."]},
        )
    donation.pickup_planned_on = planned_on
    audit.record(
        "donation.plan_pickup", donation, actor=actor, summary={"on": planned_on.isoformat()}
    )


def collected_early(donation: Donation) -> bool:
    """Whether marking the donation collected today comes before its planned pickup."""
    return donation.pickup_planned_on is not None and donation.pickup_planned_on > today()


def mark_collected(donation: Donation, *, actor: User, early_confirmed: bool = False) -> None:
    """Staff record the pickup. Before the planned date it is a deliberate act (a pickup
    brought forward), not a click on the wrong donation: it takes `early_confirmed`."""
    if not donation.donor.is_validated:
        raise ValidationFailed(
            f"« {donation.donor.name} » n'est pas encore validé : validez l'organisation d'abord.",
            code="donor_not_validated",
        )
    early = collected_early(donation)
    if early and not early_confirmed:
        assert donation.pickup_planned_on is not None  # collected_early says so
        raise ValidationFailed(
            f"L'enlèvement du don {donation.reference} est planifié le "
            f"{donation.pickup_planned_on:%d/%m/%Y} : confirmez qu'il a déjà été collecté.",
            code="early_collection_unconfirmed",
            fields={"confirm_early": ["Confirmez la collecte avant la date planifiée."]},
        )
    move(donation, DonationStatus.COLLECTED, actor=actor)
    if early:
        audit.record(
            "donation.collected_early",
            donation,
            actor=actor,
            summary={"planned_on": str(donation.pickup_planned_on)},
        )


def cancel(donation: Donation, *, actor: User) -> None:
    """Staff cancel a donation with no unit received; its donor only while it is declared."""
    if actor.role == Role.DONOR and donation.status != DonationStatus.DECLARED:
        raise PermissionDenied(
            "Le don est déjà en cours d'enlèvement : contactez la Banque du Numérique."
        )
    no_device_yet = ~sa.exists().where(Device.donation_id == Donation.id)
    if donation.devices:
        raise Conflict(
            f"Le don {donation.reference} a déjà des équipements réceptionnés : il ne peut plus être annulé."
        )
    move(donation, DonationStatus.CANCELLED, actor=actor, only_if=no_device_yet)


def close(donation: Donation, *, actor: User) -> None:
    """Close a received donation once no device of it is still at the workshop."""
    waiting = sum(1 for device in donation.devices if device.status in status.WORKSHOP)
    if waiting:
        raise Conflict(
            f"{waiting} équipement(s) du don {donation.reference} sont encore à l'atelier.",
            code="devices_at_workshop",
        )
    move(donation, DonationStatus.CLOSED, actor=actor)


def receive_for_intake(donation: Donation, *, actor: User) -> None:
    """The first unit registered at the workshop marks the donation received; two stations
    registering the first units at once both go on, a cancellation meanwhile stops them."""
    if donation.status in (DonationStatus.DECLARED, DonationStatus.COLLECTED):
        try:
            move(donation, DonationStatus.RECEIVED, actor=actor)
        except InvalidTransition:
            if donation.status != DonationStatus.RECEIVED:  # cancelled or closed meanwhile
                raise
    elif donation.status != DonationStatus.RECEIVED:
        raise InvalidTransition(
            f"Le don {donation.reference} est « {DonationStatus(donation.status).label} » : "
            "on n'y enregistre plus d'équipement.",
            code="donation_closed",
        )


@dataclass
class CompanyRegistration:
    company_name: str
    siret: str
    contact_name: str
    email: str
    password: str
    address: str | None = None
    postal_code: str | None = None
    commune: Commune | None = None
    phone: str | None = None


def register_donor_company(
    company: CompanyRegistration, donation: DonationInput
) -> Donation | None:
    """A company the bank does not know: its organisation (to be validated by staff), the
    account of its contact person (signing in once its address is confirmed by the emailed
    link), and its first donation, all in the caller's transaction.

    When the address already has an account, nothing is written and its owner is told by
    email: the caller answers exactly as for a new address (None here), so the form never
    tells who has an account."""
    from equipbank import jobs, transaction
    from equipbank.auth import services as accounts
    from equipbank.auth import tasks as account_emails
    from equipbank.organisations import services as organisations

    siret = organisations.normalise_siret(company.siret)
    if siret is None:
        raise ValidationFailed(
            "Le SIRET est obligatoire.", fields={"siret": ["Indiquez le SIRET."]}
        )
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.siret == siret)) is not None:
        raise Conflict(
            "Cette entreprise est déjà inscrite : connectez-vous avec le compte de votre entreprise, "
            "ou demandez un accès à l'équipe de la Banque du Numérique.",
            code="siret_taken",
            fields={"siret": ["Entreprise déjà inscrite."]},
        )
    accounts.check_password_strength(
        company.password, email=company.email, name=company.contact_name
    )
    existing = accounts.get_user_by_email(company.email)
    if existing is not None:
        accounts.hash_password(company.password)  # the same work as a new account: no timing hint
        transaction.after_commit(jobs.enqueue, account_emails.send_registration_notice, existing.id)
        return None
    organisation = organisations.create_organisation(
        organisations.OrganisationData(
            kind=OrganisationKind.DONOR,
            name=company.company_name,
            siret=siret,
            address=company.address,
            postal_code=company.postal_code,
            commune=company.commune,
            contact_name=company.contact_name,
            contact_email=company.email,
            contact_phone=company.phone,
        ),
        actor=None,
        validated=False,
    )
    user = accounts.create_user(
        email=company.email,
        name=company.contact_name,
        role=Role.DONOR,
        organisation=organisation,
        password=company.password,
        email_confirmed=False,
    )
    db.session.flush()  # the confirmation job reads the account by its id
    transaction.after_commit(jobs.enqueue, account_emails.send_email_confirmation, user.id)
    donation.pickup_address = donation.pickup_address or company.address
    return declare_donation(organisation, donation, actor=user)


def documents_available(donation: Donation) -> bool:
    """Attestation and certificate exist once every device that stores data is erased or out
    of the chain."""
    if not donation.devices or donation.status == DonationStatus.CANCELLED:
        return False
    return all(_nothing_to_erase(device) for device in donation.devices)


def _nothing_to_erase(device: Device) -> bool:
    """Erased, out of the chain (recycled, kept for parts, lost), or of a category that
    stores no data (`categories.NEEDS`: a screen, a printer): nothing left to wait for."""
    return (
        device.status in (DeviceStatus.RECYCLED, DeviceStatus.PARTS, DeviceStatus.LOST)
        or not needs_erasure(device.category)
        or any(record.result == ErasureResult.SUCCESS for record in device.erasures)
    )


def visible_donations(viewer: User) -> sa.Select:
    """The donations `viewer` may list, newest first: a donor's own; all for staff and the
    workshop."""
    # Each item shows its donor, its lines and its count of devices: loaded for a page at once.
    query = (
        sa.select(Donation)
        .options(
            joinedload(Donation.donor), selectinload(Donation.lines), selectinload(Donation.devices)
        )
        .order_by(Donation.id.desc())
    )
    if viewer.role == Role.DONOR:
        return query.where(Donation.donor_id == viewer.organisation_id)
    if viewer.role in (Role.STAFF, Role.REFURBISHER):
        return query
    return query.where(sa.false())


def get_donation(donation_id: int, *, viewer: User) -> Donation:
    """The donation, if `viewer` may see it (a donor sees its own only); NotFound otherwise."""
    donation = db.session.get(Donation, donation_id)
    if donation is None or not can_see(viewer, donation):
        raise NotFound("Don introuvable.")
    return donation


def can_see(viewer: User, donation: Donation) -> bool:
    if viewer.role in (Role.STAFF, Role.REFURBISHER):
        return True
    return viewer.role == Role.DONOR and donation.donor_id == viewer.organisation_id


def timeline(donation: Donation) -> list[tuple[str, date | None]]:
    """The donation's steps for its page: (label, date, or None while not reached)."""
    if donation.status == DonationStatus.CANCELLED:
        return [
            (DonationStatus.DECLARED.label, donation.declared_on),
            (DonationStatus.CANCELLED.label, None),
        ]
    return [
        (DonationStatus.DECLARED.label, donation.declared_on),
        ("Enlèvement planifié", donation.pickup_planned_on),
        (DonationStatus.COLLECTED.label, donation.collected_on),
        (DonationStatus.RECEIVED.label, donation.received_on),
        (DonationStatus.CLOSED.label, donation.closed_on),
    ]


def record_document_download(donation: Donation, filename: str, *, actor: User) -> None:
    """Every export is in the audit log (DESIGN.md §7)."""
    audit.record(
        "donation.document", donation, actor=actor, summary={"document": filename.split("-")[0]}
    )


OUTCOMES = {
    status: label
    for statuses, label in (
        ((DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING), "En cours de reconditionnement"),
        (
            (
                DeviceStatus.READY,
                DeviceStatus.RESERVED,
                DeviceStatus.AT_RELAY,
                DeviceStatus.HANDED_OVER,
                DeviceStatus.RETURNED,
            ),
            "Reconditionné",
        ),
        ((DeviceStatus.RECYCLED,), "Recyclé (filière DEEE)"),
        ((DeviceStatus.PARTS,), "Réemployé en pièces détachées"),
        ((DeviceStatus.LOST,), "Perdu"),
    )
    for status in statuses
}


def bank_identity() -> documents.Bank:
    """The bank as its documents print it, from the configuration."""
    config = current_app.config
    return documents.Bank(
        name=config["BANK_NAME"],
        address=config["BANK_ADDRESS"],
        contact=config["BANK_CONTACT"],
        signatory_name=config["BANK_SIGNATORY_NAME"],
        signatory_title=config["BANK_SIGNATORY_TITLE"],
        city=config["BANK_CITY"],
    )


def _donor(donation: Donation) -> documents.Donor:
    organisation = donation.donor
    return documents.Donor(
        name=organisation.name,
        siret=organisation.siret,
        address=organisation.address,
        commune=organisation.commune.name if organisation.commune else None,
    )


def attestation_pdf(donation: Donation) -> bytes:
    return documents.render_attestation(
        bank=bank_identity(),
        donor=_donor(donation),
        reference=donation.reference,
        declared_on=donation.declared_on,
        received_on=donation.received_on,
        devices=[
            documents.DonatedDevice(
                tag=device.tag,
                category=DeviceCategory(device.category).label,
                brand=device.brand,
                model=device.model,
                serial=device.serial,
                outcome=OUTCOMES[DeviceStatus(device.status)],
            )
            for device in donation.devices
        ],
        issued_on=today(),
    )


def erased_devices(donation: Donation) -> list[tuple[Device, ErasureRecord]]:
    """Each device of the donation with its last successful erasure; the others are left out."""
    erased = []
    for device in donation.devices:
        records = [record for record in device.erasures if record.result == ErasureResult.SUCCESS]
        if records:
            erased.append(
                (device, max(records, key=lambda record: (record.performed_at, record.id)))
            )
    return erased


def erasure_certificate_pdf(donation: Donation) -> bytes:
    erased = erased_devices(donation)
    return documents.render_erasure_certificate(
        bank=bank_identity(),
        refurbisher=_workshop_name(erased),
        donor=_donor(donation),
        reference=donation.reference,
        devices=[
            documents.ErasedDevice(
                tag=device.tag,
                brand=device.brand,
                model=device.model,
                serial=device.serial,
                method=ErasureMethod(record.method).label,
                tool=record.tool,
                performed_on=record.performed_at.astimezone(PARIS).date(),
                certificate_ref=record.certificate_ref,
                operator=record.operator,
                result=ErasureResult(record.result).label,
            )
            for device, record in erased
        ],
        issued_on=today(),
    )


def _workshop_name(erased: list[tuple[Device, ErasureRecord]]) -> str:
    """The organisation whose staff recorded most of the erasures (usually Actif Azur)."""
    recorders = Counter(record.recorded_by for _, record in erased if record.recorded_by)
    if not recorders:
        return current_app.config["BANK_NAME"]
    return recorders.most_common(1)[0][0].organisation.name


# What the home pages show -------------------------------------------------------------------


def pickups_to_plan(limit: int = 10) -> list[Donation]:
    """Declared donations with no pickup date yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Donation)
            .where(Donation.status == DonationStatus.DECLARED, Donation.pickup_planned_on.is_(None))
            .order_by(Donation.declared_on)
            .limit(limit)
        )
    )


def expected_at_workshop(limit: int = 10) -> list[Donation]:
    """Donations collected or being received with fewer units registered than declared: what
    the workshop should still expect, soonest first. A donation whose units have all arrived
    is left out, even before staff close it."""
    declared = (
        sa.select(sa.func.coalesce(sa.func.sum(DonationLine.quantity), 0))
        .where(DonationLine.donation_id == Donation.id)
        .scalar_subquery()
    )
    registered = (
        sa.select(sa.func.count(Device.id))
        .where(Device.donation_id == Donation.id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Donation)
            # The table shows each one's donor and "registered / declared".
            .options(
                joinedload(Donation.donor),
                selectinload(Donation.lines),
                selectinload(Donation.devices),
            )
            .where(
                Donation.status.in_((DonationStatus.COLLECTED, DonationStatus.RECEIVED)),
                registered < declared,
            )
            .order_by(Donation.pickup_planned_on.nulls_last(), Donation.id)
            .limit(limit)
        )
    )


def donor_totals(donor_id: int) -> tuple[int, int]:
    """How many donations a donor declared, and how many devices the workshop received."""
    donations = db.session.scalar(
        sa.select(sa.func.count(Donation.id)).where(Donation.donor_id == donor_id)
    )
    devices = db.session.scalar(
        sa.select(sa.func.count(Device.id)).join(Donation).where(Donation.donor_id == donor_id)
    )
    return donations or 0, devices or 0
