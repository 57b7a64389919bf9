"""Relays ask for devices; staff allocate specific ready devices; relays receive them.

Allocation reserves devices atomically: the device rows are locked in one order (so two
allocations cannot deadlock), each must still be `ready`, and the database's one-active-
reservation-per-device index is the last word. Two staff members choosing the same device at
the same moment: one reserves it, the other is told who got it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from equipbank.audit import services as audit
from equipbank.auth.models import User
from equipbank.clock import utcnow
from equipbank.codes import (
    DeviceCategory,
    DeviceStatus,
    Grade,
    OrganisationKind,
    RequestStatus,
    ReservationStatus,
    Role,
)
from equipbank.devices import status
from equipbank.devices.models import Device, parse_tag
from equipbank.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.requests.models import DeviceRequest, Reservation
from equipbank.status_machine import Move, StatusMachine

MAX_REQUEST_QUANTITY = 200
# Requests staff still have to serve.
OPEN_REQUESTS = (RequestStatus.OPEN, RequestStatus.APPROVED, RequestStatus.PARTIALLY_SERVED)
# A request is approved by its first allocation, served as its devices are reserved (or
# closed by staff), and served less again when a reservation is released.
MACHINE = StatusMachine(
    RequestStatus,
    (
        Move(frozenset({RequestStatus.OPEN}), RequestStatus.APPROVED),
        Move(
            frozenset({RequestStatus.APPROVED, RequestStatus.SERVED}),
            RequestStatus.PARTIALLY_SERVED,
        ),
        Move(frozenset(OPEN_REQUESTS), RequestStatus.SERVED),
        Move(
            frozenset({RequestStatus.PARTIALLY_SERVED, RequestStatus.SERVED}),
            RequestStatus.APPROVED,
        ),
        Move(frozenset({RequestStatus.OPEN}), RequestStatus.REJECTED),
        Move(frozenset({RequestStatus.OPEN, RequestStatus.APPROVED}), RequestStatus.CANCELLED),
    ),
    describe=lambda request: f"La demande n° {request.id}",
)
# What a reservation counts towards a request: still reserved, or delivered to the relay.
COUNTED = (ReservationStatus.ACTIVE, ReservationStatus.DELIVERED)


@dataclass
class RequestData:
    category: str
    quantity: int
    note: str | None = None


def create_request(data: RequestData, *, actor: User) -> DeviceRequest:
    """A relay asks for `quantity` devices of a category."""
    relay = actor.organisation
    if actor.role != Role.RELAY or relay.kind != OrganisationKind.RELAY:
        raise ValidationFailed("Seule une structure relais fait une demande d'équipements.")
    errors = {}
    if data.category not in DeviceCategory.codes():
        errors["category"] = ["Catégorie inconnue."]
    if not isinstance(data.quantity, int) or not 1 <= data.quantity <= MAX_REQUEST_QUANTITY:
        errors["quantity"] = [f"Entre 1 et {MAX_REQUEST_QUANTITY}."]
    if errors:
        raise ValidationFailed("La demande est incomplète.", fields=errors)
    request = DeviceRequest(
        relay=relay,
        category=data.category,
        quantity=data.quantity,
        note=(data.note or "").strip() or None,
        created_by_id=actor.id,
    )
    MACHINE.write(request, RequestStatus.OPEN)
    db.session.add(request)
    audit.record(
        "request.create",
        request,
        actor=actor,
        summary={"category": data.category, "quantity": data.quantity},
    )
    return request


def get_request(request_id: int, *, viewer: User) -> DeviceRequest:
    """The request, for staff or its own relay; NotFound for anyone else."""
    request = db.session.get(DeviceRequest, request_id)
    if request is None or not (
        viewer.role == Role.STAFF or request.relay_id == viewer.organisation_id
    ):
        raise NotFound("Demande introuvable.")
    return request


def counted(request: DeviceRequest) -> int:
    return sum(1 for reservation in request.reservations if reservation.status in COUNTED)


def suggested_devices(request: DeviceRequest, limit: int = 50) -> list[Device]:
    """Ready devices of the request's category, the longest in stock first (by day), then by grade."""
    grade_order = sa.case(
        {code: rank for rank, code in enumerate(Grade.codes())}, value=Device.grade, else_=9
    )
    return list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.status == DeviceStatus.READY, Device.category == request.category)
            .order_by(sa.func.date(Device.status_changed_at), grade_order, Device.id)
            .limit(limit)
        )
    )


def allocate(request: DeviceRequest, tags: list[str], *, actor: User) -> list[Reservation]:
    """Reserve these ready devices for the request, all of them or none.

    Raises Conflict when a device is no longer ready (reserved by someone else meanwhile),
    ValidationFailed for unknown tags or more devices than the request still needs.
    """
    if request.status not in OPEN_REQUESTS:
        raise InvalidTransition(
            f"La demande n° {request.id} est « {RequestStatus(request.status).label} » : plus d'attribution."
        )
    ids = _device_ids(tags)
    missing = request.quantity - counted(request)
    if len(ids) > missing:
        raise ValidationFailed(
            f"La demande attend encore {missing} équipement(s) : {len(ids)} choisis.",
            fields={"tags": [f"{missing} au plus."]},
        )
    devices = _lock_devices(ids)
    if request.status == RequestStatus.OPEN:
        _set_status(request, RequestStatus.APPROVED, actor)
    reservations = []
    for device in devices:
        if device.status != DeviceStatus.READY:
            raise Conflict(
                f"{device.tag} n'est plus disponible ({_whereabouts(device)}) : choisissez-en un autre.",
                code="device_not_ready",
                fields={"tags": [f"{device.tag} n'est plus prêt."]},
            )
        if device.category != request.category:
            raise ValidationFailed(
                f"{device.tag} est « {DeviceCategory(device.category).label} » ; la demande porte sur « "
                f"{DeviceCategory(request.category).label} ».",
                fields={"tags": [f"{device.tag} : autre catégorie."]},
            )
        reservation = Reservation(request=request, device=device, reserved_by_id=actor.id)
        db.session.add(reservation)
        try:
            db.session.flush()
        except IntegrityError:
            raise Conflict(
                f"{device.tag} vient d'être réservé par quelqu'un d'autre : choisissez-en un autre.",
                code="device_not_ready",
            ) from None
        status.transition(
            device, DeviceStatus.RESERVED, actor=actor, data={"request_id": request.id}
        )
        reservations.append(reservation)
    _refresh_served(request, actor)
    audit.record(
        "request.allocate", request, actor=actor, summary={"devices": [d.tag for d in devices]}
    )
    return reservations


def _device_ids(tags: list[str]) -> list[int]:
    if not tags:
        raise ValidationFailed(
            "Choisissez au moins un équipement.", fields={"tags": ["Au moins un équipement."]}
        )
    ids: list[int] = []
    unknown: list[str] = []
    for tag in tags:
        device_id = parse_tag(str(tag))
        if device_id is None:
            unknown.append(str(tag))
        else:
            ids.append(device_id)
    if unknown:
        raise ValidationFailed(
            f"Numéros d'inventaire invalides : {', '.join(unknown[:5])}.",
            fields={"tags": ["Format EB-000123."]},
        )
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Un équipement figure deux fois.", fields={"tags": ["En double."]})
    return sorted(ids)


def _lock_devices(ids: list[int]) -> list[Device]:
    """The devices, locked for this transaction in id order (no deadlock between two
    allocations), read afresh so a reservation committed meanwhile is seen."""
    devices = list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.id.in_(ids))
            .order_by(Device.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    found = {device.id for device in devices}
    missing = [i for i in ids if i not in found]
    if missing:
        from equipbank.devices.models import format_tag

        raise ValidationFailed(
            f"Équipements inconnus : {', '.join(format_tag(i) for i in missing[:5])}.",
            fields={"tags": ["Inconnu."]},
        )
    return devices


def _whereabouts(device: Device) -> str:
    if device.status == DeviceStatus.RESERVED:
        reservation = active_reservation(device)
        if reservation is not None:
            return f"réservé pour {reservation.request.relay.name}"
    return DeviceStatus(device.status).label.lower()


def active_reservation(device: Device) -> Reservation | None:
    return db.session.scalar(
        sa.select(Reservation).where(
            Reservation.device_id == device.id, Reservation.status == ReservationStatus.ACTIVE
        )
    )


def release(reservation: Reservation, *, actor: User) -> None:
    """Staff release a reservation: the device goes back to the ready stock."""
    if reservation.status != ReservationStatus.ACTIVE:
        raise InvalidTransition("Cette réservation n'est plus en cours.")
    reservation.status, reservation.ended_at = ReservationStatus.RELEASED, utcnow()
    db.session.flush()
    status.transition(
        reservation.device,
        DeviceStatus.READY,
        actor=actor,
        data={"request_id": reservation.request_id},
    )
    request = reservation.request
    if request.status in (RequestStatus.PARTIALLY_SERVED, RequestStatus.SERVED):
        _set_status(
            request,
            RequestStatus.APPROVED if not counted(request) else RequestStatus.PARTIALLY_SERVED,
            actor,
        )
    audit.record(
        "reservation.release", reservation, actor=actor, summary={"device": reservation.device.tag}
    )


def receive(device: Device, *, actor: User) -> Reservation:
    """The relay confirms a device reserved for it has arrived (scan): reserved -> at_relay."""
    reservation = active_reservation(device)
    if reservation is None or reservation.request.relay_id != actor.organisation_id:
        raise NotFound(f"Aucun équipement {device.tag} n'est réservé pour votre structure.")
    status.transition(device, DeviceStatus.AT_RELAY, actor=actor, holder=actor.organisation)
    reservation.status, reservation.ended_at = ReservationStatus.DELIVERED, utcnow()
    audit.record(
        "device.receive", device, actor=actor, summary={"request_id": reservation.request_id}
    )
    return reservation


def mark_served(request: DeviceRequest, *, actor: User) -> None:
    """Staff close a request, even with fewer devices than asked (the need is met otherwise)."""
    if request.status not in OPEN_REQUESTS:
        raise InvalidTransition(
            f"La demande n° {request.id} est déjà « {RequestStatus(request.status).label} »."
        )
    _set_status(request, RequestStatus.SERVED, actor)


def reject(request: DeviceRequest, *, actor: User) -> None:
    if request.status != RequestStatus.OPEN:
        raise InvalidTransition("Seule une demande encore ouverte peut être refusée.")
    _set_status(request, RequestStatus.REJECTED, actor)


def cancel(request: DeviceRequest, *, actor: User) -> None:
    """A relay withdraws a request nobody has served yet."""
    if request.status not in (RequestStatus.OPEN, RequestStatus.APPROVED) or counted(request):
        raise InvalidTransition(
            "Des équipements sont déjà attribués à cette demande : contactez l'équipe."
        )
    _set_status(request, RequestStatus.CANCELLED, actor)


def _refresh_served(request: DeviceRequest, actor: User) -> None:
    served = counted(request)
    if served >= request.quantity:
        _set_status(request, RequestStatus.SERVED, actor)
    elif served:
        _set_status(request, RequestStatus.PARTIALLY_SERVED, actor)


def _set_status(request: DeviceRequest, target: RequestStatus, actor: User) -> None:
    """Move the request along `MACHINE` (staying where it is is no move)."""
    if request.status == target:
        return
    source, target = MACHINE.check(request, target)
    MACHINE.write(request, target)
    audit.record("request.status", request, actor=actor, summary={"from": source, "to": target})


def visible_requests(viewer: User) -> sa.Select:
    # Each listed request shows its relay and counts its reservations (the API their devices).
    query = sa.select(DeviceRequest).options(
        joinedload(DeviceRequest.relay),
        selectinload(DeviceRequest.reservations).joinedload(Reservation.device),
    )
    if viewer.role == Role.STAFF:
        return query
    if viewer.role == Role.RELAY:
        return query.where(DeviceRequest.relay_id == viewer.organisation_id)
    return query.where(sa.false())


def active_reservations(relay_id: int) -> list[Reservation]:
    """The devices reserved for a relay and not yet received, oldest reservation first."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .join(DeviceRequest)
            .where(
                DeviceRequest.relay_id == relay_id,
                Reservation.status == ReservationStatus.ACTIVE,
            )
            .order_by(Reservation.reserved_at)
        )
    )


def get_reservation(reservation_id: int) -> Reservation:
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound("Réservation introuvable.")
    return reservation
