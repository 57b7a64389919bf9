"""Every status outside the devices follows its machine's table, and only the machine writes it."""

from __future__ import annotations

import itertools

import pytest

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.codes import AppointmentStatus, DonationStatus, RequestStatus
from equipbank.donations import services as donations
from equipbank.donations.models import Donation
from equipbank.errors import InvalidTransition
from equipbank.requests import services as requests
from equipbank.requests.models import DeviceRequest

D, R, A = DonationStatus, RequestStatus, AppointmentStatus

# What each kind of thing may do, written out by hand from DESIGN.md §2 and the services.
ALLOWED = {
    Donation: {
        (D.DECLARED, D.COLLECTED),
        (D.DECLARED, D.RECEIVED),
        (D.COLLECTED, D.RECEIVED),
        (D.DECLARED, D.CANCELLED),
        (D.COLLECTED, D.CANCELLED),
        (D.RECEIVED, D.CLOSED),
    },
    DeviceRequest: {
        (R.OPEN, R.APPROVED),
        (R.OPEN, R.SERVED),
        (R.APPROVED, R.PARTIALLY_SERVED),
        (R.APPROVED, R.SERVED),
        (R.PARTIALLY_SERVED, R.SERVED),
        (R.SERVED, R.PARTIALLY_SERVED),
        (R.PARTIALLY_SERVED, R.APPROVED),
        (R.SERVED, R.APPROVED),
        (R.OPEN, R.REJECTED),
        (R.OPEN, R.CANCELLED),
        (R.APPROVED, R.CANCELLED),
    },
    # An outcome, from a planned appointment or as a correction of the one recorded.
    Appointment: {(source, target) for source in A for target in A if target != A.SCHEDULED},
}
MACHINES = {
    Donation: (donations.MACHINE, D),
    DeviceRequest: (requests.MACHINE, R),
    Appointment: (appointments.MACHINE, A),
}
CASES = [
    (model, source, target)
    for model, (_, codes) in MACHINES.items()
    for source, target in itertools.product(codes, codes)
]


@pytest.mark.parametrize(
    ("model", "source", "target"),
    CASES,
    ids=[f"{model.__name__}-{source}-{target}" for model, source, target in CASES],
)
def test_every_move_follows_the_table(model, source, target):
    machine, _ = MACHINES[model]
    thing = model(id=42)
    machine.write(thing, source)
    if (source, target) in ALLOWED[model]:
        assert machine.check(thing, target) == (source, target)
    else:
        with pytest.raises(InvalidTransition, match="ne peut pas passer"):
            machine.check(thing, target)


@pytest.mark.parametrize("model", list(MACHINES), ids=lambda model: model.__name__)
def test_nothing_else_writes_the_status(model):
    machine, codes = MACHINES[model]
    thing = model()
    with pytest.raises(RuntimeError, match="status machine"):
        thing.status = next(iter(codes)).value
    machine.write(thing, next(iter(codes)))
    assert thing.status == next(iter(codes)).value


def test_an_unknown_status_is_refused_by_name():
    request = DeviceRequest()
    requests.MACHINE.write(request, R.OPEN)
    with pytest.raises(InvalidTransition, match="Statut inconnu"):
        requests.MACHINE.check(request, "lost")
