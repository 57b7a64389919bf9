"""A donation cancelled while its first unit is registered: one of the two wins, never both."""

from __future__ import annotations

from equipbank.auth.models import User
from equipbank.codes import Role
from equipbank.devices import services as workshop
from equipbank.donations import services
from equipbank.donations.models import Donation
from equipbank.errors import Conflict, InvalidTransition
from equipbank.extensions import db
from tests import factories
from tests.concurrency.conftest import run_in_parallel


def test_a_cancellation_and_a_first_intake_at_once_do_not_both_win(app):
    donation_id = factories.donation().id
    staff_id = factories.user(Role.STAFF).id
    workshop_id = factories.user(Role.REFURBISHER).id

    def act(index: int):
        donation = db.session.get(Donation, donation_id)
        assert not donation.devices  # both read the donation as it was: no unit yet
        if index == 0:
            services.cancel(donation, actor=db.session.get(User, staff_id))
        else:
            workshop.intake(
                donation,
                workshop.IntakeData(category="laptop"),
                actor=db.session.get(User, workshop_id),
            )
        db.session.commit()
        return "done"

    results = run_in_parallel(app, act, 2)
    assert results.count("done") == 1, results
    db.session.expire_all()
    donation = db.session.get(Donation, donation_id)
    assert (donation.status, len(donation.devices)) in (("cancelled", 0), ("received", 1))
    loser = next(result for result in results if result != "done")
    assert isinstance(loser, (Conflict, InvalidTransition)), loser
