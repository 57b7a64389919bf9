"""Real parallel transactions on PostgreSQL: relays booking one advisor at the same hour at
the same moment get the slot once; the others are told of the overlap."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.auth.models import User
from equipbank.clock import PARIS, today
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.handovers import services as handovers
from tests import factories
from tests.concurrency.conftest import run_in_parallel


def test_five_relays_booking_one_advisor_at_once_get_the_slot_once(app):
    advisor_id = factories.user(Role.ADVISOR).id
    relays = [factories.user(Role.RELAY) for _ in range(5)]
    relay_ids = [relay.id for relay in relays]
    tags = [factories.at_relay(relay).tag for relay in relays]
    people = [factories.beneficiary(relay).id for relay in relays]
    ten = datetime.combine(today() + timedelta(days=5), time(10), tzinfo=PARIS)

    def book(index: int):
        handovers.record_handover(
            handovers.HandoverOrder(
                device_tag=tags[index],
                handover=handovers.HandoverData(charter_accepted=True),
                # Each relay a slightly different time: all overlap the same hour.
                followup=appointments.FollowupData(
                    advisor_id=advisor_id,
                    starts_at=ten + timedelta(minutes=5 * index),
                    location_type="office",
                ),
                beneficiary_id=people[index],
            ),
            actor=db.session.get(User, relay_ids[index]),
        )
        db.session.commit()
        return "booked"

    results = run_in_parallel(app, book, 5)
    assert results.count("booked") == 1, results
    refused = [result for result in results if result != "booked"]
    assert all(isinstance(error, appointments.AdvisorOverlap) for error in refused), refused
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .where(Appointment.advisor_id == advisor_id)
        )
        == 1
    )
