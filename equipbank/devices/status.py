"""The device status machine (DESIGN.md §2): the only code that changes `Device.status`.

Each move is checked against the table `RULES` and its guard (`equipbank.status_machine`, the
idiom every status follows), then written together with one `DeviceEvent` in the caller's
transaction. A move the table does not allow, or whose guard
fails, raises `InvalidTransition` (HTTP 409 in the API, a message in the UI), never a no-op.
A concurrent change of the same device makes the flush fail with `Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from equipbank.clock import utcnow
from equipbank.codes import (
    AppointmentStatus,
    DeviceStatus,
    ErasureResult,
    Grade,
    OrganisationKind,
    RequestStatus,
    ReservationStatus,
)
from equipbank.devices.categories import needs_erasure
from equipbank.devices.models import Device, DeviceEvent
from equipbank.errors import Conflict, InvalidTransition
from equipbank.extensions import db
from equipbank.status_machine import Move, StatusMachine

if TYPE_CHECKING:
    from equipbank.auth.models import User

Guard = Callable[[Device], None]

FINAL = frozenset({DeviceStatus.RECYCLED, DeviceStatus.PARTS, DeviceStatus.LOST})
# At the workshop: registered, or being reconditioned.
WORKSHOP = frozenset({DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING})
# Held by the bank or a relay, from intake to the relay's shelf: what can be declared lost.
# A handed-over device belongs to its beneficiary: it can come back (returned), but the bank
# no longer declares it lost.
HELD = frozenset(DeviceStatus) - FINAL - {DeviceStatus.HANDED_OVER}


def cycle_started_at(device: Device):
    """When the device last arrived at the workshop (`received`): its current cycle."""
    return db.session.scalar(
        sa.select(sa.func.max(DeviceEvent.at)).where(
            DeviceEvent.device_id == device.id, DeviceEvent.to_status == DeviceStatus.RECEIVED
        )
    )


def current_erasures(device: Device) -> list:
    """Erasures recorded during the current cycle: a device that comes back from a
    beneficiary holds their data, whatever was erased before it was handed over."""
    started = cycle_started_at(device)
    return [record for record in device.erasures if started is None or record.created_at >= started]


def ready_missing(device: Device) -> list[str]:
    """What the device still lacks to become `ready` (empty when nothing is missing); an
    erasure only for a category that stores data (`categories.NEEDS`)."""
    missing = []
    if needs_erasure(device.category) and not any(
        _complete_erasure(record) for record in current_erasures(device)
    ):
        missing.append(
            "un effacement des données réussi (méthode, outil, référence du certificat, opérateur, date)"
        )
    if not device.functional_tests_passed:
        missing.append("des tests fonctionnels réussis")
    if device.grade not in Grade.codes():
        missing.append("un grade esthétique A, B ou C")
    return missing


def _ready_guard(device: Device) -> None:
    missing = ready_missing(device)
    if missing:
        raise InvalidTransition(
            f"{device.tag} ne peut pas passer « Prêt » : il manque " + " ; ".join(missing) + ".",
            code="ready_guard",
        )


def _complete_erasure(record) -> bool:
    return record.result == ErasureResult.SUCCESS and all(
        (record.method, record.tool, record.certificate_ref, record.operator, record.performed_at)
    )


def _active_reservation(device: Device):
    from equipbank.requests.models import Reservation

    return db.session.scalar(
        sa.select(Reservation).where(
            Reservation.device_id == device.id, Reservation.status == ReservationStatus.ACTIVE
        )
    )


def _reserved_guard(device: Device) -> None:
    reservation = _active_reservation(device)
    servable = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_SERVED)
    if (
        reservation is None
        or reservation.request.status not in servable
        or reservation.request.relay.kind != OrganisationKind.RELAY
    ):
        raise InvalidTransition(
            f"{device.tag} ne peut être réservé que pour une demande approuvée d'une structure relais.",
            code="reservation_guard",
        )


def _released_guard(device: Device) -> None:
    if _active_reservation(device) is not None:
        raise InvalidTransition(
            f"La réservation de {device.tag} doit être libérée avant son retour en stock.",
            code="reservation_guard",
        )


def _at_relay_guard(device: Device) -> None:
    if _active_reservation(device) is None:
        raise InvalidTransition(
            f"{device.tag} n'est réservé pour aucune structure relais.", code="reservation_guard"
        )


def _handed_over_guard(device: Device) -> None:
    from equipbank.appointments.models import Appointment
    from equipbank.handovers.models import Handover

    scheduled_followup = (
        sa.select(Handover.id)
        .join(Appointment, Appointment.handover_id == Handover.id)
        .where(
            Handover.device_id == device.id,
            Handover.returned_at.is_(None),
            Appointment.status == AppointmentStatus.SCHEDULED,
        )
    )
    if db.session.scalar(scheduled_followup) is None:
        raise InvalidTransition(
            f"{device.tag} ne peut être remis qu'avec une remise à un bénéficiaire "
            "et son rendez-vous de suivi planifié.",
            code="handover_guard",
        )


Rule = Move[DeviceStatus]

RULES: tuple[Rule, ...] = (
    Rule(frozenset({DeviceStatus.RECEIVED}), DeviceStatus.REFURBISHING),
    Rule(frozenset({DeviceStatus.REFURBISHING}), DeviceStatus.READY, guard=_ready_guard),
    Rule(
        frozenset({DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING}),
        DeviceStatus.RECYCLED,
        needs_reason=True,
    ),
    Rule(
        frozenset({DeviceStatus.RECEIVED, DeviceStatus.REFURBISHING}),
        DeviceStatus.PARTS,
        needs_reason=True,
    ),
    Rule(frozenset({DeviceStatus.READY}), DeviceStatus.RESERVED, guard=_reserved_guard),
    # A defect found on a ready unit (or a doubt) sends it back to the workshop, said why.
    Rule(frozenset({DeviceStatus.READY}), DeviceStatus.REFURBISHING, needs_reason=True),
    Rule(frozenset({DeviceStatus.RESERVED}), DeviceStatus.READY, guard=_released_guard),
    Rule(frozenset({DeviceStatus.RESERVED}), DeviceStatus.AT_RELAY, guard=_at_relay_guard),
    Rule(frozenset({DeviceStatus.AT_RELAY}), DeviceStatus.HANDED_OVER, guard=_handed_over_guard),
    Rule(frozenset({DeviceStatus.HANDED_OVER}), DeviceStatus.RETURNED, needs_reason=True),
    Rule(frozenset({DeviceStatus.RETURNED}), DeviceStatus.RECEIVED),
    Rule(HELD, DeviceStatus.LOST, needs_reason=True),
)

MACHINE = StatusMachine(DeviceStatus, RULES, describe=lambda device: device.tag)

UNSET: Any = object()


def rule_for(source: str, target: str) -> Rule | None:
    return MACHINE.rule_for(source, target)


def next_statuses(device: Device) -> list[DeviceStatus]:
    """The statuses the table allows from the device's current one (guards not evaluated)."""
    return MACHINE.next_statuses(device.status)


def register(device: Device, *, actor: User | None = None, data: dict | None = None) -> DeviceEvent:
    """(new) -> received: a unit enters the chain; it must belong to a donation."""
    if device.donation_id is None and device.donation is None:
        raise InvalidTransition("Un équipement doit appartenir à un don.", code="intake_guard")
    _write_status(device, DeviceStatus.RECEIVED)
    db.session.add(device)
    db.session.flush()  # the database allocates the id, hence the asset tag
    return _record(device, None, DeviceStatus.RECEIVED, actor, data)


def transition(
    device: Device,
    target: str,
    *,
    actor: User | None = None,
    reason: str | None = None,
    holder=UNSET,
    data: dict | None = None,
) -> DeviceEvent:
    """Move `device` to `target`, or raise InvalidTransition; `holder` updates the holder.

    A device back at the workshop after a return (`returned -> received`) is checked again
    from scratch: its grade and functional tests are cleared. A ready device sent back to
    the workshop (`ready -> refurbishing`) passes its functional tests again; its erasure
    (same cycle, nobody used it) and its cosmetic grade still hold."""
    source, target_status = MACHINE.check(device, target, reason=reason)
    reason = (reason or "").strip() or None
    _write_status(device, target_status)
    if holder is not UNSET:
        device.holder = holder
    if source == DeviceStatus.RETURNED and target_status == DeviceStatus.RECEIVED:
        device.grade, device.functional_tests_passed = None, False
    if source == DeviceStatus.READY and target_status == DeviceStatus.REFURBISHING:
        device.functional_tests_passed = False
    event_data = dict(data or {})
    if reason:
        event_data["reason"] = reason
    event = _record(device, source, target_status, actor, event_data)
    tag = device.tag  # read now: after a failed flush the instance is unusable
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            f"{tag} vient d'être modifié par quelqu'un d'autre : rechargez la page.",
            code="concurrent_change",
        ) from None
    return event


def _write_status(device: Device, status: DeviceStatus) -> None:
    MACHINE.write(device, status)
    device.status_changed_at = utcnow()


def _record(device, source, target, actor: User | None, data) -> DeviceEvent:
    event = DeviceEvent(
        device=device,
        from_status=source.value if source else None,
        to_status=target.value,
        actor_id=getattr(actor, "id", None),
        data=data or {},
    )
    db.session.add(event)
    return event
