"""What must hold after any fault (issue 12): run at the end of each fault test. Each check
reads the database as it is and returns how many rows it checked, for the counts the fault
tests report; a broken invariant fails with the rows that break it."""

from __future__ import annotations

import sqlalchemy as sa

from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.codes import DeviceStatus
from equipbank.devices.models import Device, DeviceEvent
from equipbank.extensions import db
from equipbank.handovers.models import Handover


def one_open_handover_per_handed_over_device() -> int:
    open_handovers = (
        sa.select(Handover.device_id, sa.func.count().label("open"))
        .where(Handover.returned_at.is_(None))
        .group_by(Handover.device_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Device.id, Device.status, sa.func.coalesce(open_handovers.c.open, 0)).outerjoin(
            open_handovers, open_handovers.c.device_id == Device.id
        )
    ).all()
    broken = [
        (device_id, status, count)
        for device_id, status, count in rows
        if count != (1 if status == DeviceStatus.HANDED_OVER else 0)
    ]
    assert not broken, f"open handovers per device: {broken}"
    return len(rows)


def status_is_the_last_event() -> int:
    last_event = (
        sa.select(DeviceEvent.device_id, sa.func.max(DeviceEvent.id).label("last_id"))
        .group_by(DeviceEvent.device_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Device.id, Device.status, DeviceEvent.to_status)
        .join(last_event, last_event.c.device_id == Device.id)
        .join(DeviceEvent, DeviceEvent.id == last_event.c.last_id)
    ).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Device))
    broken = [row for row in rows if row[1] != row[2]]
    assert not broken and len(rows) == total, f"status vs last event: {broken}"
    return len(rows)


def one_receipt_per_notification() -> int:
    rows = db.session.execute(
        sa.select(
            NotificationReceipt.kind,
            NotificationReceipt.subject_key,
            NotificationReceipt.recipient,
            sa.func.count(),
        ).group_by(
            NotificationReceipt.kind, NotificationReceipt.subject_key, NotificationReceipt.recipient
        )
    ).all()
    broken = [row for row in rows if row[3] != 1]
    assert not broken, f"receipts per notification: {broken}"
    return len(rows)


def every_handover_has_its_first_appointment() -> int:
    handovers = db.session.scalars(sa.select(Handover.id)).all()
    with_appointment = set(
        db.session.scalars(
            sa.select(Appointment.handover_id).where(Appointment.handover_id.is_not(None))
        )
    )
    missing = [handover_id for handover_id in handovers if handover_id not in with_appointment]
    assert not missing, f"handovers without an appointment: {missing}"
    return len(handovers)


def check_all() -> dict[str, int]:
    """Every invariant, after `db.session` forgot what it had read: name -> rows checked."""
    db.session.expire_all()
    counts = {
        "one_open_handover_per_handed_over_device": one_open_handover_per_handed_over_device(),
        "status_is_the_last_event": status_is_the_last_event(),
        "one_receipt_per_notification": one_receipt_per_notification(),
        "every_handover_has_its_first_appointment": every_handover_has_its_first_appointment(),
    }
    print(f"invariants after the fault: {counts}")  # shown with pytest -s, for the note
    return counts
