"""Two workshop stations registering the same serial at the same moment: one device."""

from __future__ import annotations

import sqlalchemy as sa

from equipbank.auth.models import User
from equipbank.codes import Role
from equipbank.devices import services
from equipbank.devices.models import Device
from equipbank.donations.models import Donation
from equipbank.errors import Conflict
from equipbank.extensions import db
from tests import factories
from tests.concurrency.conftest import run_in_parallel


def test_parallel_intakes_of_one_serial_register_it_once(app):
    donation_id = factories.donation().id
    actor_id = factories.user(Role.REFURBISHER).id

    def intake(_index: int):
        device = services.intake(
            db.session.get(Donation, donation_id),
            services.IntakeData(category="laptop", brand="Dell", serial="SAME-SERIAL"),
            actor=db.session.get(User, actor_id),
        )
        db.session.commit()
        return device.tag

    results = run_in_parallel(app, intake, 6)
    tags = [result for result in results if isinstance(result, str)]
    conflicts = [result for result in results if isinstance(result, Conflict)]
    assert len(tags) == 1 and len(conflicts) == 5, results
    assert all(tags[0] in conflict.message for conflict in conflicts)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 1
