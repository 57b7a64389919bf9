"""The workshop: intake of each unit, diagnostics, data erasure, grading, then ready or out.

Every status change goes through `equipbank.devices.status`; these services gather and check
the data the status machine's guards look at. They flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from equipbank.audit import services as audit
from equipbank.clock import utcnow
from equipbank.codes import (
    DeviceCategory,
    DeviceStatus,
    ErasureMethod,
    ErasureResult,
    Grade,
    Role,
)
from equipbank.devices import categories, status
from equipbank.devices.models import Device, ErasureRecord, format_tag, parse_tag
from equipbank.donations import services as donations
from equipbank.donations.models import Donation, DonationLine
from equipbank.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from equipbank.extensions import db

if TYPE_CHECKING:
    from equipbank.auth.models import User

# Moves a person asks for by name (UI buttons, POST /devices/{tag}/transition); reservations,
# receipts and handovers have flows of their own that carry their data.
DIRECT_MOVES: dict[str, frozenset[DeviceStatus]] = {
    Role.REFURBISHER: frozenset(
        {
            DeviceStatus.REFURBISHING,
            DeviceStatus.READY,
            DeviceStatus.RECYCLED,
            DeviceStatus.PARTS,
            DeviceStatus.RECEIVED,
        }
    ),
    Role.STAFF: frozenset(
        {
            DeviceStatus.REFURBISHING,
            DeviceStatus.READY,
            DeviceStatus.RECYCLED,
            DeviceStatus.PARTS,
            DeviceStatus.RECEIVED,
            DeviceStatus.LOST,
        }
    ),
}


# Finding a device --------------------------------------------------------------------------

SCAN_PATH = re.compile(r"/d/([^/?#]+)/?$")


def tag_from_scan(text: str, *, hosts: set[str] | None = None) -> str:
    """The asset tag in what a scanner or a person gave: a tag, or the URL of a QR label of
    this app (`hosts`: another bank's equipbank prints the same tag format).

    ValidationFailed (French) when the text is neither.
    """
    text = (text or "").strip()
    candidate = text
    if "/" in text:
        url = urlsplit(text)
        if hosts is not None and url.netloc and url.netloc.lower() not in hosts:
            raise ValidationFailed(
                "Ce QR code est l'étiquette d'une autre application : il ne désigne pas un équipement d'ici.",
                code="bad_scan",
                fields={"code": ["QR code d'une autre application."]},
            )
        match = SCAN_PATH.search(url.path)
        if match is None:
            raise ValidationFailed(
                "Ce QR code n'est pas une étiquette equipbank.",
                code="bad_scan",
                fields={"code": ["QR code non reconnu."]},
            )
        candidate = match.group(1)
    device_id = parse_tag(candidate)
    if device_id is None:
        raise ValidationFailed(
            f"« {text[:40]} » n'est pas un numéro d'inventaire (format EB-000123).",
            code="bad_tag",
            fields={"code": ["Numéro d'inventaire invalide (EB-000123)."]},
        )
    return format_tag(device_id)


def get_device(tag: str, *, viewer: User | None = None) -> Device:
    """The device of a tag, if `viewer` may see it; NotFound otherwise (never a hint it exists)."""
    device_id = parse_tag(tag or "")
    device = db.session.get(Device, device_id) if device_id is not None else None
    if device is None or (viewer is not None and not can_see(viewer, device)):
        raise NotFound(f"Aucun équipement {tag!s:.40} n'est accessible.")
    return device


def can_see(viewer: User, device: Device) -> bool:
    """Staff and the workshop see every device; a donor those it gave; a relay those it holds
    or that are reserved for it; nobody else."""
    if viewer.role in (Role.STAFF, Role.REFURBISHER):
        return True
    if viewer.role == Role.DONOR:
        return device.donation.donor_id == viewer.organisation_id
    if viewer.role == Role.RELAY:
        return device.id in set(db.session.scalars(relay_device_ids(viewer.organisation_id)))
    return False


def relay_device_ids(relay_id: int) -> sa.CompoundSelect:
    """Ids of the devices a relay may see: held by it, or reserved for one of its requests."""
    from equipbank.codes import ReservationStatus
    from equipbank.requests.models import DeviceRequest, Reservation

    reserved = (
        sa.select(Reservation.device_id)
        .join(DeviceRequest)
        .where(DeviceRequest.relay_id == relay_id, Reservation.status == ReservationStatus.ACTIVE)
    )
    held = sa.select(Device.id).where(Device.holder_id == relay_id)
    return sa.union(reserved, held)


def visible_devices(viewer: User) -> sa.Select:
    """The devices query scoped to what `viewer` may see."""
    query = sa.select(Device).options(joinedload(Device.holder))  # shown on every row
    if viewer.role in (Role.STAFF, Role.REFURBISHER):
        return query
    if viewer.role == Role.DONOR:
        return query.join(Donation).where(Donation.donor_id == viewer.organisation_id)
    if viewer.role == Role.RELAY:
        return query.where(Device.id.in_(relay_device_ids(viewer.organisation_id)))
    return query.where(sa.false())


# Intake --------------------------------------------------------------------------------------


@dataclass
class IntakeData:
    category: str
    brand: str | None = None
    model: str | None = None
    serial: str | None = None
    line_id: int | None = None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def intake(donation: Donation, data: IntakeData, *, actor: User) -> Device:
    """Register one unit of a donation: the database allocates its asset tag at insert.

    A serial already registered for that brand is refused, naming the existing tag; the
    unique constraint settles two intakes of the same serial at the same moment.
    """
    if data.category not in DeviceCategory.codes():
        raise ValidationFailed(
            "Catégorie inconnue.", fields={"category": ["Choisissez une catégorie."]}
        )
    brand, model, serial = _clean(data.brand), _clean(data.model), _clean(data.serial)
    for name, value, limit in (
        ("brand", brand, 100),
        ("model", model, 150),
        ("serial", serial, 100),
    ):
        if value and len(value) > limit:
            raise ValidationFailed(
                f"{limit} caractères au plus.", fields={name: [f"{limit} caractères au plus."]}
            )
    if serial:
        _refuse_registered_serial(brand, serial)
    line = _declared_line(donation, data.line_id, data.category, brand, model, serial)
    donations.receive_for_intake(donation, actor=actor)
    # By id, not through `donation.devices`: nothing may be flushed before the savepoint below.
    device = Device(
        donation_id=donation.id,
        donation_line_id=line.id if line else None,
        category=data.category,
        brand=brand,
        model=model,
        serial=serial,
        holder=actor.organisation,
    )
    try:
        with db.session.begin_nested():
            status.register(device, actor=actor)
    except IntegrityError:
        _refuse_registered_serial(brand, serial)  # names the tag that won the race
        raise
    audit.record(
        "device.intake",
        device,
        actor=actor,
        summary={"donation_id": donation.id, "category": data.category},
    )
    return device


def _refuse_registered_serial(brand: str | None, serial: str | None) -> None:
    if not serial:
        return
    existing = db.session.scalar(
        sa.select(Device.id).where(
            Device.brand_key == (brand or "").lower(), Device.serial == serial
        )
    )
    if existing is not None:
        tag = format_tag(existing)
        raise Conflict(
            f"Le numéro de série {serial} ({brand or 'sans marque'}) est déjà enregistré : {tag}.",
            code="serial_taken",
            fields={"serial": [f"Déjà enregistré : {tag}."]},
        )


def _declared_line(
    donation: Donation,
    line_id: int | None,
    category: str,
    brand: str | None,
    model: str | None,
    serial: str | None,
) -> DonationLine | None:
    """The declared line this unit answers: the one chosen, else the one that declared its
    serial, else the first of the same category (and brand, model) not yet complete."""
    if line_id is not None:
        line = next((line for line in donation.lines if line.id == line_id), None)
        if line is None:
            raise ValidationFailed(
                "Ligne de don inconnue.", fields={"line_id": ["Ligne inconnue."]}
            )
        return line
    if serial:
        for line in donation.lines:
            if serial in (line.serials or []):
                return line
    received = received_per_line(donation)

    def fits(line: DonationLine) -> bool:
        same = line.category == category
        same = same and (not line.brand or (brand or "").lower() == line.brand.lower())
        same = same and (not line.model or (model or "").lower() == line.model.lower())
        return same and received.get(line.id, 0) < line.quantity

    return next((line for line in donation.lines if fits(line)), None)


def received_per_line(donation: Donation) -> dict[int, int]:
    query = (
        sa.select(Device.donation_line_id, sa.func.count())
        .where(Device.donation_id == donation.id, Device.donation_line_id.is_not(None))
        .group_by(Device.donation_line_id)
    )
    # No None key: the query leaves out devices without a line.
    return cast(dict[int, int], dict(db.session.execute(query).tuples().all()))


def remaining_serials(donation: Donation) -> list[str]:
    """Declared serials not registered yet: the intake form offers them."""
    registered = {device.serial for device in donation.devices if device.serial}
    return [s for line in donation.lines for s in (line.serials or []) if s not in registered]


# Reconditioning ------------------------------------------------------------------------------


@dataclass
class Diagnostics:
    cpu: str | None = None
    ram_gb: int | None = None
    storage_gb: int | None = None
    screen_inches: Decimal | None = None
    battery_health_pct: int | None = None
    os_installed: str | None = None
    keyboard_layout: str | None = None
    notes: str | None = None


def _start_workshop(device: Device, *, actor: User) -> None:
    """Working on a received unit starts its reconditioning."""
    if device.status == DeviceStatus.RECEIVED:
        status.transition(device, DeviceStatus.REFURBISHING, actor=actor)
    elif device.status != DeviceStatus.REFURBISHING:
        raise InvalidTransition(
            f"{device.tag} est « {DeviceStatus(device.status).label} » : l'atelier ne le modifie plus.",
            code="not_at_workshop",
        )


def record_diagnostics(device: Device, data: Diagnostics, *, actor: User) -> None:
    """The measures of the device; only those of its category (`categories.NEEDS`): a
    screen has no processor, a printer no battery."""
    applies = categories.diagnostic_fields(device.category)
    errors: dict[str, list[str]] = {
        name: [f"Ne s'applique pas à la catégorie « {DeviceCategory(device.category).label} »."]
        for name in categories.DIAGNOSTIC_FIELDS
        if name not in applies and getattr(data, name) not in (None, "")
    }
    if data.battery_health_pct is not None and not 0 <= data.battery_health_pct <= 100:
        errors["battery_health_pct"] = ["Entre 0 et 100 %."]
    for name in ("ram_gb", "storage_gb"):
        value = getattr(data, name)
        if value is not None and not 0 < value <= 100_000:
            errors[name] = ["Une valeur positive."]
    if data.screen_inches is not None and not 0 < data.screen_inches < 100:
        errors["screen_inches"] = ["Entre 1 et 99 pouces."]
    if errors:
        raise ValidationFailed("Certaines mesures sont invalides.", fields=errors)
    _start_workshop(device, actor=actor)
    for name in applies:
        value = getattr(data, name)
        setattr(device, name, _clean(value) if isinstance(value, str) else value)
    device.notes = _clean(data.notes)
    audit.record("device.diagnostics", device, actor=actor)


@dataclass
class ErasureData:
    method: str
    tool: str
    certificate_ref: str
    performed_at: datetime
    operator: str | None = None
    result: str = ErasureResult.SUCCESS


def record_erasure(device: Device, data: ErasureData, *, actor: User) -> ErasureRecord:
    """Record how the device's data was destroyed; a successful record is a guard of `ready`."""
    errors: dict[str, list[str]] = {}
    if data.method not in ErasureMethod.codes():
        errors["method"] = ["Méthode inconnue."]
    if data.result not in ErasureResult.codes():
        errors["result"] = ["Résultat inconnu."]
    for name in ("tool", "certificate_ref"):
        if not _clean(getattr(data, name)):
            errors[name] = ["Champ obligatoire."]
    if data.performed_at.tzinfo is None:
        raise ValueError("performed_at must be timezone-aware")
    if data.performed_at > utcnow():
        errors["performed_at"] = ["La date de l'effacement ne peut pas être dans le futur."]
    if errors:
        raise ValidationFailed("L'effacement est incomplet.", fields=errors)
    _start_workshop(device, actor=actor)
    record = ErasureRecord(
        device=device,
        method=data.method,
        tool=data.tool.strip()[:150],
        certificate_ref=data.certificate_ref.strip()[:150],
        operator=(_clean(data.operator) or actor.name)[:150],
        performed_at=data.performed_at,
        result=data.result,
        recorded_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "device.erasure",
        device,
        actor=actor,
        summary={"method": data.method, "result": data.result},
    )
    return record


def grade(
    device: Device, *, grade_code: str | None, functional_tests_passed: bool | None, actor: User
) -> None:
    """The cosmetic grade and the functional tests, two more guards of `ready`."""
    if grade_code is not None and grade_code not in Grade.codes():
        raise ValidationFailed("Grade inconnu.", fields={"grade": ["A, B ou C."]})
    _start_workshop(device, actor=actor)
    if grade_code is not None:
        device.grade = grade_code
    if functional_tests_passed is not None:
        device.functional_tests_passed = functional_tests_passed
    audit.record(
        "device.grade",
        device,
        actor=actor,
        summary={"grade": device.grade, "functional_tests_passed": device.functional_tests_passed},
    )


def move(
    device: Device,
    target: str,
    *,
    actor: User,
    reason: str | None = None,
    grade_code: str | None = None,
    functional_tests_passed: bool | None = None,
) -> None:
    """A move asked for by name: the workshop's (refurbishing, also a ready unit sent back
    with a reason; ready, recycled, parts, back to received after a return) and, for staff,
    lost. Grade and tests may come with `ready`."""
    try:
        wanted = DeviceStatus(target)
    except ValueError:
        raise InvalidTransition(f"Statut inconnu : {target!r}.", code="unknown_status") from None
    allowed = DIRECT_MOVES.get(actor.role, frozenset())
    if wanted not in allowed:
        raise InvalidTransition(
            f"Le passage à « {wanted.label} » ne se fait pas ici "
            "(réservation, réception et remise ont leurs propres écrans).",
            code="not_a_direct_move",
        )
    if grade_code is not None or functional_tests_passed is not None:
        grade(
            device,
            grade_code=grade_code,
            functional_tests_passed=functional_tests_passed,
            actor=actor,
        )
    holder = actor.organisation if wanted == DeviceStatus.RECEIVED else status.UNSET
    status.transition(device, wanted, actor=actor, reason=reason, holder=holder)


def status_counts(*statuses: str) -> dict[str, int]:
    """How many devices in each status (in these statuses only, when given)."""
    query = sa.select(Device.status, sa.func.count()).group_by(Device.status)
    if statuses:
        query = query.where(Device.status.in_(statuses))
    return dict(db.session.execute(query).tuples().all())


def at_relay(relay_id: int) -> list[Device]:
    """The devices on a relay's shelf, ready to be handed over."""
    return list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.holder_id == relay_id, Device.status == DeviceStatus.AT_RELAY)
            .order_by(Device.id)
        )
    )
