"""Every status outside the devices follows its machine's table, and only the machine writes it."""

from __future__ import annotations

import itertools

import pytest

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.codes import (
    AppointmentStatus,
    DonationStatus,
    InventoryImportStatus,
    RequestStatus,
)
from equipbank.donations import services as donations
from equipbank.donations.inventory import services as inventory
from equipbank.donations.models import Donation, InventoryImport
from equipbank.errors import InvalidTransition
from equipbank.requests import services as requests
from equipbank.requests.models import DeviceRequest

BEFORE_IMPORT = {
    InventoryImportStatus.UPLOADED,
    InventoryImportStatus.CHECKING,
    InventoryImportStatus.CHECKED,
}

# What each kind of thing may do, written out by hand from DESIGN.md §2 and the services.
ALLOWED = {
    Donation: {
        (DonationStatus.DECLARED, DonationStatus.COLLECTED),
        (DonationStatus.DECLARED, DonationStatus.RECEIVED),
        (DonationStatus.COLLECTED, DonationStatus.RECEIVED),
        (DonationStatus.DECLARED, DonationStatus.CANCELLED),
        (DonationStatus.COLLECTED, DonationStatus.CANCELLED),
        (DonationStatus.RECEIVED, DonationStatus.CLOSED),
    },
    DeviceRequest: {
        (RequestStatus.OPEN, RequestStatus.APPROVED),
        (RequestStatus.OPEN, RequestStatus.SERVED),
        (RequestStatus.APPROVED, RequestStatus.PARTIALLY_SERVED),
        (RequestStatus.APPROVED, RequestStatus.SERVED),
        (RequestStatus.PARTIALLY_SERVED, RequestStatus.SERVED),
        (RequestStatus.SERVED, RequestStatus.PARTIALLY_SERVED),
        (RequestStatus.PARTIALLY_SERVED, RequestStatus.APPROVED),
        (RequestStatus.SERVED, RequestStatus.APPROVED),
        (RequestStatus.OPEN, RequestStatus.REJECTED),
        (RequestStatus.OPEN, RequestStatus.CANCELLED),
        (RequestStatus.APPROVED, RequestStatus.CANCELLED),
    },
    # A new mapping starts again; a check ends checked; a claim, then its result or failure.
    InventoryImport: {(source, target) for source in BEFORE_IMPORT for target in BEFORE_IMPORT}
    | {
        (InventoryImportStatus.UPLOADED, InventoryImportStatus.IMPORTING),
        (InventoryImportStatus.CHECKED, InventoryImportStatus.IMPORTING),
    }
    | {
        (InventoryImportStatus.IMPORTING, InventoryImportStatus.CHECKED),
        (InventoryImportStatus.IMPORTING, InventoryImportStatus.IMPORTED),
    },
    # An outcome, from a planned appointment or as a correction of the one recorded.
    Appointment: {
        (source, target)
        for source in AppointmentStatus
        for target in AppointmentStatus
        if target != AppointmentStatus.SCHEDULED
    },
}
MACHINES = {
    Donation: (donations.MACHINE, DonationStatus),
    DeviceRequest: (requests.MACHINE, RequestStatus),
    Appointment: (appointments.MACHINE, AppointmentStatus),
    InventoryImport: (inventory.MACHINE, InventoryImportStatus),
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
    requests.MACHINE.write(request, RequestStatus.OPEN)
    with pytest.raises(InvalidTransition, match="Statut inconnu"):
        requests.MACHINE.check(request, "lost")
