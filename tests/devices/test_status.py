"""The device status machine: every allowed and every forbidden move, and each guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import utcnow
from equipbank.codes import DeviceStatus as S
from equipbank.codes import OrganisationKind, RequestStatus, ReservationStatus
from equipbank.devices import status
from equipbank.devices.models import Device, DeviceEvent
from equipbank.errors import Conflict, InvalidTransition, ValidationFailed
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.requests import services as requests
from equipbank.requests.models import DeviceRequest, Reservation
from tests import factories

# DESIGN.md §2, written out independently of the module under test.
ALLOWED = {
    (S.RECEIVED, S.REFURBISHING),
    (S.REFURBISHING, S.READY),
    (S.RECEIVED, S.RECYCLED),
    (S.RECEIVED, S.PARTS),
    (S.REFURBISHING, S.RECYCLED),
    (S.REFURBISHING, S.PARTS),
    (S.READY, S.RESERVED),
    (S.READY, S.REFURBISHING),  # back to the workshop, with a reason
    (S.RESERVED, S.READY),
    (S.RESERVED, S.AT_RELAY),
    (S.AT_RELAY, S.HANDED_OVER),
    (S.HANDED_OVER, S.RETURNED),
    (S.RETURNED, S.RECEIVED),
    # any non-final status (the bank still holds the device) -> lost
    (S.RECEIVED, S.LOST),
    (S.REFURBISHING, S.LOST),
    (S.READY, S.LOST),
    (S.RESERVED, S.LOST),
    (S.AT_RELAY, S.LOST),
    (S.RETURNED, S.LOST),
}
ALL_MOVES = [(source, target) for source in S for target in S]


class World:
    """Builds a device in any status, through the machine, with what each guard needs."""

    def __init__(self):
        self.relay = factories.organisation(OrganisationKind.RELAY)
        self.advisor = factories.user("advisor", organisation_=self.relay)

    def device_in(self, wanted: S) -> Device:
        device = factories.device(commit=False)
        path = {
            S.RECEIVED: [],
            S.REFURBISHING: [S.REFURBISHING],
            S.READY: [S.REFURBISHING, S.READY],
            S.RESERVED: [S.REFURBISHING, S.READY, S.RESERVED],
            S.AT_RELAY: [S.REFURBISHING, S.READY, S.RESERVED, S.AT_RELAY],
            S.HANDED_OVER: [S.REFURBISHING, S.READY, S.RESERVED, S.AT_RELAY, S.HANDED_OVER],
            S.RETURNED: [
                S.REFURBISHING,
                S.READY,
                S.RESERVED,
                S.AT_RELAY,
                S.HANDED_OVER,
                S.RETURNED,
            ],
            S.RECYCLED: [S.RECYCLED],
            S.PARTS: [S.PARTS],
            S.LOST: [S.LOST],
        }[wanted]
        for step in path:
            self.prepare(device, step)
            status.transition(device, step, reason="motif de test")
            self.after(device, step)
        db.session.commit()
        return device

    def prepare(self, device: Device, target: S) -> None:
        """Satisfy the guard of `target` for this device, whatever its status."""
        if target == S.READY and device.status == S.REFURBISHING:
            factories.erasure(device)
            device.grade = "B"
            device.functional_tests_passed = True
        elif target == S.READY and device.status == S.RESERVED:
            self.reservation(device).status = ReservationStatus.RELEASED
        elif target == S.RESERVED and self.reservation(device) is None:
            request = DeviceRequest(relay=self.relay, category="laptop", quantity=1)
            requests.MACHINE.write(request, RequestStatus.APPROVED)
            db.session.add(Reservation(request=request, device=device))
        elif target == S.HANDED_OVER and self.active_handover(device) is None:
            beneficiary = Beneficiary(
                relay=self.relay,
                first_name="Camille",
                last_name="Martin",
                birth_year=1958,
                commune_code="06057",
                category="senior_isolated",
                consent_at=utcnow(),
            )
            handover = Handover(
                device=device,
                beneficiary=beneficiary,
                relay=self.relay,
                commune_code="06057",
                charter_accepted=True,
                receipt_ref=f"R-{device.id}-{len(device.events)}",
            )
            db.session.add(
                Appointment(
                    handover=handover,
                    beneficiary=beneficiary,
                    advisor=self.advisor,
                    starts_at=utcnow() + timedelta(days=7),
                    location_type="office",
                )
            )
        db.session.flush()

    def after(self, device: Device, reached: S) -> None:
        if reached == S.AT_RELAY:
            self.reservation(device).status = ReservationStatus.DELIVERED
        elif reached == S.RETURNED:
            self.active_handover(device).returned_at = utcnow()

    @staticmethod
    def active_handover(device: Device) -> Handover | None:
        return db.session.scalar(
            sa.select(Handover).where(
                Handover.device_id == device.id, Handover.returned_at.is_(None)
            )
        )

    @staticmethod
    def reservation(device: Device) -> Reservation | None:
        return db.session.scalar(
            sa.select(Reservation).where(
                Reservation.device_id == device.id, Reservation.status == ReservationStatus.ACTIVE
            )
        )


@pytest.fixture
def world():
    return World()


def events_of(device: Device) -> list[tuple[str | None, str]]:
    query = sa.select(DeviceEvent.from_status, DeviceEvent.to_status).where(
        DeviceEvent.device_id == device.id
    )
    return [tuple(row) for row in db.session.execute(query.order_by(DeviceEvent.id))]


@pytest.mark.parametrize(("source", "target"), ALL_MOVES, ids=lambda s: s.value)
def test_every_move_follows_the_table(world, source, target):
    device = world.device_in(source)
    before = events_of(device)
    world.prepare(device, target)

    if (source, target) in ALLOWED:
        event = status.transition(device, target, reason="motif de test")
        db.session.commit()
        assert db.session.get(Device, device.id).status == target
        assert events_of(device) == [*before, (source.value, target.value)]
        assert event.to_status == target
    else:
        with pytest.raises(InvalidTransition):
            status.transition(device, target, reason="motif de test")
        db.session.rollback()
        assert db.session.get(Device, device.id).status == source
        assert events_of(device) == before


def test_the_table_of_the_module_is_the_design_table():
    declared = {(s, t) for s, t in ALL_MOVES if status.rule_for(s, t) is not None}
    assert declared == ALLOWED


def test_registering_a_device_writes_the_received_event_and_a_tag(world):
    device = factories.device()
    assert device.status == S.RECEIVED
    assert device.tag == f"EB-{device.id:06d}"
    assert events_of(device) == [(None, "received")]


def test_tags_are_distinct_and_increasing(world):
    tags = [factories.device().tag for _ in range(3)]
    assert tags == sorted(tags) and len(set(tags)) == 3


def test_nothing_else_can_write_the_status(world):
    device = factories.device()
    with pytest.raises(RuntimeError, match=r"status machine|equipbank.devices.status"):
        device.status = S.READY


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("erasure", "effacement"),
        ("grade", "grade"),
        ("functional_tests", "tests fonctionnels"),
        ("failed_erasure", "effacement"),
    ],
)
def test_ready_needs_erasure_grade_and_tests(world, missing, message):
    device = world.device_in(S.REFURBISHING)
    if missing != "erasure":
        factories.erasure(device, result="failure" if missing == "failed_erasure" else "success")
    device.grade = None if missing == "grade" else "A"
    device.functional_tests_passed = missing != "functional_tests"
    with pytest.raises(InvalidTransition, match=message):
        status.transition(device, S.READY)


def test_a_ready_device_goes_back_to_the_workshop_with_a_reason_and_is_tested_again(world):
    """Issue 13, finding 14: a defect found on a ready device sends it back to the workshop."""
    device = world.device_in(S.READY)
    with pytest.raises(ValidationFailed, match="raison"):
        status.transition(device, S.REFURBISHING, reason=" ")
    event = status.transition(device, S.REFURBISHING, reason="Batterie qui ne tient pas la charge")
    assert (event.from_status, event.to_status) == (S.READY, S.REFURBISHING)
    assert event.data == {"reason": "Batterie qui ne tient pas la charge"}
    # Its tests are to be passed again; its erasure (same cycle) and grade still hold.
    assert status.ready_missing(device) == ["des tests fonctionnels réussis"]
    device.functional_tests_passed = True
    status.transition(device, S.READY)
    assert device.status == S.READY


@pytest.mark.parametrize("target", [S.RECYCLED, S.PARTS, S.LOST])
def test_side_exits_need_a_reason(world, target):
    device = world.device_in(S.RECEIVED)
    with pytest.raises(ValidationFailed, match="raison"):
        status.transition(device, target, reason="   ")
    event = status.transition(device, target, reason="Carte mère HS")
    assert event.data == {"reason": "Carte mère HS"}


def test_reserving_needs_an_approved_request(world):
    device = world.device_in(S.READY)
    request = DeviceRequest(relay=world.relay, category="laptop", quantity=1)
    requests.MACHINE.write(request, RequestStatus.OPEN)
    db.session.add(Reservation(request=request, device=device))
    db.session.flush()
    with pytest.raises(InvalidTransition, match="demande approuvée"):
        status.transition(device, S.RESERVED)


def test_handing_over_needs_a_scheduled_followup(world):
    device = world.device_in(S.AT_RELAY)
    with pytest.raises(InvalidTransition, match="rendez-vous de suivi"):
        status.transition(device, S.HANDED_OVER)


def test_unknown_target_is_refused(world):
    device = world.device_in(S.RECEIVED)
    with pytest.raises(InvalidTransition, match="inconnu"):
        status.transition(device, "teleported")


def test_a_stale_copy_cannot_overwrite_a_concurrent_change(app, world):
    device = world.device_in(S.RECEIVED)
    # Another worker moves the device in its own session and commits.
    with app.app_context():
        other = db.session.get(Device, device.id)
        status.transition(other, S.REFURBISHING)
        db.session.commit()
    # This session still holds the old version: its move must fail, not overwrite.
    with pytest.raises(Conflict):
        status.transition(device, S.LOST, reason="introuvable")
