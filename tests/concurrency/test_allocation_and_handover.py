"""Real parallel transactions on PostgreSQL: a device is reserved once and handed over once."""

from __future__ import annotations

import random

import sqlalchemy as sa

from equipbank.auth.models import User
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import ReservationStatus, Role
from equipbank.devices.models import Device
from equipbank.errors import DomainError
from equipbank.extensions import db
from equipbank.handovers import services as handovers
from equipbank.handovers.models import Handover
from equipbank.requests import services as requests
from equipbank.requests.models import DeviceRequest, Reservation
from tests import factories
from tests.concurrency.conftest import run_in_parallel


def test_twenty_parallel_allocations_of_the_same_five_devices_reserve_each_once(app):
    tags = [factories.ready_device().tag for _ in range(5)]
    staff_id = factories.user(Role.STAFF).id
    request_ids = []
    for _ in range(20):
        relay_user = factories.user(Role.RELAY)
        request = requests.create_request(
            requests.RequestData(category="laptop", quantity=5), actor=relay_user
        )
        db.session.commit()
        request_ids.append(request.id)
    rng = random.Random(20)
    wanted = [rng.sample(tags, rng.randint(1, 5)) for _ in range(20)]  # overlapping choices

    def allocate(index: int):
        request = db.session.get(DeviceRequest, request_ids[index])
        requests.allocate(request, wanted[index], actor=db.session.get(User, staff_id))
        db.session.commit()
        return "reserved"

    results = run_in_parallel(app, allocate, 20)
    refused = [result for result in results if isinstance(result, Exception)]
    assert all(isinstance(error, DomainError) for error in refused), (
        refused
    )  # clear messages, no crash
    active = db.session.execute(
        sa.select(Reservation.device_id, sa.func.count())
        .where(Reservation.status == ReservationStatus.ACTIVE)
        .group_by(Reservation.device_id)
    ).all()
    assert all(count == 1 for _, count in active)
    reserved = set(db.session.scalars(sa.select(Device.id).where(Device.status == "reserved")))
    assert reserved == {device_id for device_id, _ in active}
    assert results.count("reserved") >= 1
    # Each allocation got all of its devices or none: no request holds a partial set of its choice.
    for index, request_id in enumerate(request_ids):
        got = db.session.scalars(
            sa.select(Reservation.device_id).where(Reservation.request_id == request_id)
        ).all()
        assert len(got) in (0, len(wanted[index]))


def test_ten_parallel_handovers_of_one_device_create_one(app):
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
    device_id = factories.at_relay(relay_user).id
    people = [factories.beneficiary(relay_user).id for _ in range(10)]

    def hand_over(index: int):
        handovers.hand_over(
            db.session.get(Device, device_id),
            db.session.get(Beneficiary, people[index]),
            handovers.HandoverData(charter_accepted=True),
            factories.followup(advisor),
            actor=db.session.get(User, relay_user.id),
        )
        db.session.commit()
        return "handed over"

    results = run_in_parallel(app, hand_over, 10)
    assert results.count("handed over") == 1, results
    assert all(isinstance(result, DomainError) for result in results if result != "handed over"), (
        results
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 1
    assert db.session.get(Device, device_id).status == "handed_over"
