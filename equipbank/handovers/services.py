"""The handover: a device given to a beneficiary, always with its follow-up appointment.

`record_handover` is the use case, for the page and the API alike: the device, the person
(chosen or new), the charter and the follow-up, checked and written in one transaction.
`hand_over` writes the handover, the appointment and the device's move: there is no handover
without its appointment. The device row is locked first; the database's
one-active-handover-per-device index settles two submits at the same moment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.auth.models import User
from equipbank.beneficiaries import services as beneficiaries
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import PARIS, today, utcnow
from equipbank.codes import DeviceStatus, Role
from equipbank.devices import services as devices
from equipbank.devices import status
from equipbank.devices.models import Device, parse_tag
from equipbank.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, check_all
from equipbank.extensions import db
from equipbank.handovers.models import Handover


@dataclass
class HandoverData:
    charter_accepted: bool
    accessories: str | None = None


@dataclass
class HandoverOrder:
    """What the relay fills in: the device, the person (`beneficiary_id`, or a new one), the
    handover itself and its follow-up, and whether booking the advisor over another of their
    appointments is confirmed."""

    device_tag: str
    handover: HandoverData
    followup: appointments.FollowupData
    beneficiary_id: int | None = None
    new_beneficiary: beneficiaries.BeneficiaryData | None = None
    confirmed_distinct: bool = False
    allow_overlap: bool = False


@dataclass(frozen=True)
class HandoverResult:
    handover: Handover
    # What the relay should know, once confirmed (the advisor has another appointment then).
    warnings: list[str]


class AlreadyHandedOver(Conflict):
    """The device was given already. `earlier` is the handover when this same person saved it
    a moment ago: a form sent twice, to be shown rather than refused."""

    code = "already_handed_over"

    def __init__(self, device: Device, earlier: Handover | None = None, *, message: str = ""):
        super().__init__(
            message or f"{device.tag} a déjà été remis.", fields={"device": ["Déjà remis."]}
        )
        self.earlier = earlier


def active_handover(device: Device) -> Handover | None:
    return db.session.scalar(
        sa.select(Handover).where(Handover.device_id == device.id, Handover.returned_at.is_(None))
    )


def _lock(device: Device) -> Device:
    """Read the device afresh under a row lock (PostgreSQL): a concurrent handover waits."""
    return db.session.scalars(
        sa.select(Device)
        .where(Device.id == device.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def check_device(device: Device, *, actor: User) -> Device:
    """The device, locked and read afresh, if the actor's relay may hand it over now."""
    if actor.role != Role.RELAY:
        raise ValidationFailed("Seule une structure relais remet un équipement.")
    device = _lock(device)
    if device.status == DeviceStatus.HANDED_OVER:
        raise AlreadyHandedOver(device, just_saved_by(device, actor))
    if device.status != DeviceStatus.AT_RELAY or device.holder_id != actor.organisation_id:
        raise ValidationFailed(
            f"{device.tag} n'est pas à votre structure : réceptionnez-le d'abord (il doit être « À la structure relais »).",
            code="device_not_at_relay",
            fields={"device": ["Pas à votre structure."]},
        )
    return device


def earlier_handover(error: AlreadyHandedOver, device_tag: str, *, actor: User) -> Handover | None:
    """After a refused handover (rolled back): the one this person saved a moment ago, when
    the refusal was their own form sent twice."""
    if error.earlier is not None:
        return error.earlier
    device_id = parse_tag(device_tag)
    device = db.session.get(Device, device_id) if device_id else None
    return just_saved_by(device, actor) if device is not None else None


def just_saved_by(device: Device, actor: User, *, within_minutes: int = 10) -> Handover | None:
    """The handover this person saved for this device a moment ago: what a second click of
    the same form meets, to be shown rather than refused."""
    handover = active_handover(device)
    if handover is None or handover.handed_by_id != actor.id:
        return None
    return handover if utcnow() - handover.handed_at < timedelta(minutes=within_minutes) else None


def check_handover_data(data: HandoverData) -> None:
    """The charter accepted, the accessories in 300 characters: both said at once."""
    errors: dict[str, list[str]] = {}
    if not data.charter_accepted:
        errors["charter_accepted"] = ["Charte non acceptée."]
    if data.accessories and len(data.accessories) > 300:
        errors["accessories"] = ["300 caractères au plus."]
    if errors:
        raise ValidationFailed(
            "La personne doit accepter la charte d'utilisation."
            if "charter_accepted" in errors
            else "300 caractères au plus.",
            fields=errors,
        )


def check_order(order: HandoverOrder) -> None:
    """What the relay typed, every part checked at once (the person, the charter, the
    follow-up), nothing locked or written: ValidationFailed names every wrong field. The
    handover form shows it with the form's own errors; `record_handover` starts with it."""
    new_person = order.new_beneficiary

    def person() -> None:
        if order.beneficiary_id is not None:
            return  # read, for the actor, by record_handover
        if new_person is None:
            raise ValidationFailed(
                "Choisissez la personne ou enregistrez-la.",
                fields={"beneficiary_id": ["Personne manquante."]},
            )
        beneficiaries.check_data(new_person)

    check_all(
        "La remise est incomplète : corrigez les champs signalés.",
        person,
        lambda: check_handover_data(order.handover),
        lambda: appointments.check_followup(order.followup),
    )


def record_handover(order: HandoverOrder, *, actor: User) -> HandoverResult:
    """The relay hands a device over: checked in the order a person fixes things (the device,
    then everything typed at once, then the slot, then whether the person is known already),
    and written in one transaction, or refused with nothing written. The advisor's agenda is
    locked from the slot's check to the commit; a slot that overlaps another of their
    appointments is refused (`AdvisorOverlap`) until confirmed, and confirmed it comes back as
    a warning. The same form sent twice is refused with `AlreadyHandedOver`, which names the
    handover the first one made."""
    device = check_device(devices.get_device(order.device_tag, viewer=actor), actor=actor)
    check_order(order)
    warnings = appointments.claim_slot(order.followup, allow_overlap=order.allow_overlap)
    if order.beneficiary_id is not None:
        beneficiary = beneficiaries.get_beneficiary(order.beneficiary_id, viewer=actor)
    elif order.new_beneficiary is not None:
        beneficiary = beneficiaries.create(
            order.new_beneficiary, actor=actor, confirmed_distinct=order.confirmed_distinct
        )
    else:
        raise ValidationFailed(
            "Choisissez la personne ou enregistrez-la.",
            fields={"beneficiary_id": ["Personne manquante."]},
        )
    handover = _hand_over_checked(
        device,
        beneficiary,
        order.handover,
        order.followup,
        actor=actor,
        allow_overlap=True,  # the slot is claimed above, its overlap answered
    )
    return HandoverResult(handover, warnings)


def hand_over(
    device: Device,
    beneficiary: Beneficiary,
    data: HandoverData,
    followup: appointments.FollowupData,
    *,
    actor: User,
    allow_overlap: bool = False,
) -> Handover:
    """Give `device` (at the actor's relay) to `beneficiary` (of that relay), with the first
    follow-up appointment. Refused, with nothing written, for a device not at this relay or
    already given, a beneficiary of another relay, a missing or invalid appointment, or an
    advisor busy then (unless `allow_overlap`)."""
    return _hand_over_checked(
        check_device(device, actor=actor),
        beneficiary,
        data,
        followup,
        actor=actor,
        allow_overlap=allow_overlap,
    )


def _hand_over_checked(
    device: Device,
    beneficiary: Beneficiary,
    data: HandoverData,
    followup: appointments.FollowupData,
    *,
    actor: User,
    allow_overlap: bool,
) -> Handover:
    """`hand_over` once `check_device` has locked the device and found it at the relay."""
    relay_id = actor.organisation_id
    if beneficiary.relay_id != relay_id or beneficiary.anonymised_at is not None:
        raise NotFound("Bénéficiaire introuvable.")
    check_handover_data(data)
    handover = Handover(
        device=device,
        beneficiary=beneficiary,
        relay_id=relay_id,
        handed_by_id=actor.id,
        handed_at=utcnow(),
        commune_code=beneficiary.commune_code,  # the commune on that day, for the reports
        accessories=(data.accessories or "").strip() or None,
        charter_accepted=True,
        receipt_ref=f"REM-{today():%Y%m%d}-{secrets.token_hex(3).upper()}",
    )
    db.session.add(handover)
    try:
        db.session.flush()
    except IntegrityError:
        # The transaction is lost: who won is known after the rollback (`earlier_handover`).
        raise AlreadyHandedOver(
            device, message=f"{device.tag} vient d'être remis par ailleurs."
        ) from None
    # Checks the follow-up; a refusal rolls the whole transaction back, handover included.
    appointment = appointments.schedule(
        followup,
        beneficiary=beneficiary,
        actor=actor,
        handover=handover,
        allow_overlap=allow_overlap,
    )
    db.session.flush()
    status.transition(
        device, DeviceStatus.HANDED_OVER, actor=actor, data={"handover_id": handover.id}
    )
    audit.record(
        "handover.create",
        handover,
        actor=actor,
        summary={
            "device": device.tag,
            "commune": handover.commune_code,
            "appointment_id": appointment.id,
        },
    )
    return handover


def get_handover(handover_id: int, *, viewer: User) -> Handover:
    """The handover, for its relay or staff; NotFound for anyone else."""
    handover = db.session.get(Handover, handover_id)
    if handover is None or not (
        viewer.role == Role.STAFF
        or (viewer.role == Role.RELAY and handover.relay_id == viewer.organisation_id)
    ):
        raise NotFound("Remise introuvable.")
    return handover


def first_appointment(handover: Handover) -> Appointment | None:
    return db.session.scalar(
        sa.select(Appointment)
        .where(Appointment.handover_id == handover.id)
        .order_by(Appointment.id)
        .limit(1)
    )


def return_device(handover: Handover, reason: str | None, *, actor: User) -> None:
    """A handed-over device comes back: `returned`, the handover closed. The workshop then
    registers it again (`returned -> received`) for a new cycle."""
    if handover.returned_at is not None:
        raise InvalidTransition("Ce retour est déjà enregistré.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Indiquez la raison du retour.", fields={"reason": ["Raison obligatoire."]}
        )
    handover.returned_at, handover.return_reason = utcnow(), reason[:300]
    db.session.flush()
    status.transition(
        handover.device,
        DeviceStatus.RETURNED,
        actor=actor,
        reason=reason,
        data={"handover_id": handover.id},
    )
    audit.record("handover.return", handover, actor=actor, summary={"device": handover.device.tag})


@dataclass(frozen=True)
class HandoverCriteria:
    """What the list of handovers is narrowed to; every part optional."""

    text: str | None = None  # an asset tag, or words of the person's names
    relay_id: int | None = None  # staff only: a relay's own list is already its own
    start: date | None = None  # handed over on or after (Paris day)
    end: date | None = None  # handed over on or before
    overdue_only: bool = False  # the follow-up is late (`appointments.is_overdue`)

    @property
    def names_searched(self) -> bool:
        return bool(self.text) and parse_tag(self.text or "") is None


def find_handovers(viewer: User, criteria: HandoverCriteria) -> sa.Select:
    """The handovers `viewer` may see that meet `criteria`, newest first."""
    query = visible_handovers(viewer)
    if criteria.text:
        device_id = parse_tag(criteria.text)
        if device_id is not None:
            query = query.where(Handover.device_id == device_id)
        else:
            person = sa.select(Beneficiary.id).where(beneficiaries.names_match(criteria.text))
            query = query.where(Handover.beneficiary_id.in_(person))
    if criteria.relay_id is not None and viewer.role == Role.STAFF:
        query = query.where(Handover.relay_id == criteria.relay_id)
    if criteria.start:
        query = query.where(Handover.handed_at >= datetime.combine(criteria.start, time(), PARIS))
    if criteria.end:
        after = datetime.combine(criteria.end + timedelta(days=1), time(), PARIS)
        query = query.where(Handover.handed_at < after)
    if criteria.overdue_only:
        open_ids = db.session.scalars(
            query.with_only_columns(Handover.id).where(Handover.returned_at.is_(None))
        ).all()
        late = [
            a.handover_id
            for a in appointments.latest_by_handover(open_ids).values()
            if appointments.is_overdue(a)
        ]
        query = query.where(Handover.id.in_(late))
    return query


def visible_handovers(viewer: User) -> sa.Select:
    # What each listed handover shows: its device, person, relay and commune (the name filter
    # finds the loaded commune in the session), and in the API its first appointment.
    query = (
        sa.select(Handover)
        .options(
            joinedload(Handover.device),
            joinedload(Handover.beneficiary),
            joinedload(Handover.relay),
            joinedload(Handover.commune),
            selectinload(Handover.appointments),
        )
        .order_by(Handover.handed_at.desc())
    )
    if viewer.role == Role.STAFF:
        return query
    if viewer.role == Role.RELAY:
        return query.where(Handover.relay_id == viewer.organisation_id)
    return query.where(sa.false())


def receipt_pdf(handover: Handover) -> bytes:
    """The printable receipt: what was given, to whom, the charter and the follow-up."""
    from equipbank.codes import DeviceCategory, Grade, LocationType
    from equipbank.donations.services import bank_identity
    from equipbank.handovers import receipt

    device, relay = handover.device, handover.relay
    appointment = first_appointment(handover)
    assert appointment is not None  # a handover is saved with its follow-up appointment
    specs = [
        spec
        for spec in (
            device.cpu,
            f"{device.ram_gb} Go de mémoire" if device.ram_gb else None,
            f"{device.storage_gb} Go de stockage" if device.storage_gb else None,
            device.os_installed,
            f"Clavier {device.keyboard_layout}" if device.keyboard_layout else None,
        )
        if spec
    ]
    address = ", ".join(
        part for part in (relay.address, relay.commune.name if relay.commune else None) if part
    )
    return receipt.render_receipt(
        bank=bank_identity(),
        relay_name=relay.name,
        relay_address=address or None,
        reference=handover.receipt_ref,
        handed_on=handover.handed_at.astimezone(PARIS).date(),
        beneficiary=handover.beneficiary.full_name,
        device=receipt.ReceiptDevice(
            tag=device.tag,
            category=DeviceCategory(device.category).label,
            brand=device.brand,
            model=device.model,
            serial=device.serial,
            grade=Grade(device.grade).label if device.grade else None,
            specs=specs,
        ),
        accessories=handover.accessories,
        followup=receipt.ReceiptFollowup(
            advisor=appointment.advisor.name,
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            location=LocationType(appointment.location_type).label,
            place=appointment.place,
        ),
    )


def open_handover_count(relay_id: int) -> int:
    """The devices a relay handed over that have not come back."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Handover.id)).where(
                Handover.relay_id == relay_id, Handover.returned_at.is_(None)
            )
        )
        or 0
    )
