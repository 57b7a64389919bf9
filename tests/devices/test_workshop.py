"""The workshop: intake with tags from the database, reconditioning, and the `ready` rule
holding whichever way a person tries (UI, API, direct service call)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.clock import utcnow
from equipbank.codes import DeviceStatus, Role
from equipbank.devices import services
from equipbank.devices.models import Device
from equipbank.donations.models import DonationLine
from equipbank.errors import Conflict, InvalidTransition, ValidationFailed
from equipbank.extensions import db
from tests import factories


@pytest.fixture
def workshop_user():
    return factories.user(Role.REFURBISHER)


@pytest.fixture
def donation():
    created = factories.donation(
        lines=[
            DonationLine(
                category="laptop",
                quantity=2,
                brand="Dell",
                model="Latitude 5490",
                serials=["DL-1", "DL-2"],
            ),
            DonationLine(category="screen", quantity=1, brand="Dell", model="P2419H"),
        ]
    )
    return created


def test_intake_allocates_tags_matches_declared_lines_and_receives_the_donation(
    workshop_user, donation
):
    first = services.intake(
        donation,
        services.IntakeData(category="laptop", brand="Dell", serial="DL-2"),
        actor=workshop_user,
    )
    screen = services.intake(
        donation,
        services.IntakeData(category="screen", brand="dell", model="p2419h"),
        actor=workshop_user,
    )
    db.session.commit()
    assert first.tag == f"EB-{first.id:06d}" and screen.id > first.id
    assert first.donation_line_id == donation.lines[0].id  # found by its declared serial
    assert screen.donation_line_id == donation.lines[1].id  # by category, brand and model
    assert (
        first.holder_id == workshop_user.organisation_id and first.status == DeviceStatus.RECEIVED
    )
    db.session.refresh(donation)
    assert donation.status == "received" and donation.received_on is not None
    assert services.remaining_serials(donation) == ["DL-1"]


def test_a_serial_already_registered_for_the_brand_is_refused_naming_its_tag(
    workshop_user, donation
):
    existing = services.intake(
        donation,
        services.IntakeData(category="laptop", brand="Dell", serial="ABC123"),
        actor=workshop_user,
    )
    db.session.commit()
    with pytest.raises(Conflict, match=existing.tag):
        services.intake(
            donation,
            services.IntakeData(category="laptop", brand="DELL ", serial="ABC123"),
            actor=workshop_user,
        )
    db.session.rollback()
    other_brand = services.intake(
        donation,
        services.IntakeData(category="laptop", brand="HP", serial="ABC123"),
        actor=workshop_user,
    )
    db.session.commit()
    assert other_brand.tag != existing.tag
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 2


def test_no_intake_on_a_cancelled_donation(workshop_user):
    cancelled = factories.donation(status="cancelled")
    with pytest.raises(InvalidTransition, match="Annulé"):
        services.intake(cancelled, services.IntakeData(category="laptop"), actor=workshop_user)


def test_the_ready_rule_holds_for_a_direct_service_call(workshop_user):
    device = factories.at_workshop()
    with pytest.raises(InvalidTransition, match="effacement"):
        services.move(
            device, "ready", actor=workshop_user, grade_code="A", functional_tests_passed=True
        )
    db.session.rollback()
    device = db.session.get(Device, device.id)
    services.record_erasure(
        device,
        services.ErasureData(
            method="certified_software", tool="nwipe", certificate_ref="NW-1", performed_at=utcnow()
        ),
        actor=workshop_user,
    )
    with pytest.raises(InvalidTransition, match="grade"):
        services.move(device, "ready", actor=workshop_user, functional_tests_passed=True)
    services.move(device, "ready", actor=workshop_user, grade_code="C")
    db.session.commit()
    assert db.session.get(Device, device.id).status == "ready"


def test_a_failed_erasure_does_not_open_the_way_to_ready(workshop_user):
    device = factories.at_workshop()
    services.record_erasure(
        device,
        services.ErasureData(
            method="certified_software",
            tool="nwipe",
            certificate_ref="NW-2",
            performed_at=utcnow(),
            result="failure",
        ),
        actor=workshop_user,
    )
    with pytest.raises(InvalidTransition, match="effacement"):
        services.move(
            device, "ready", actor=workshop_user, grade_code="A", functional_tests_passed=True
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tool", "  ", "Champ obligatoire"),
        ("method", "magnet", "Méthode inconnue"),
        ("performed_at", "future", "futur"),
    ],
)
def test_an_incomplete_erasure_is_refused(workshop_user, field, value, message):
    device = factories.at_workshop()
    data = services.ErasureData(
        method="certified_software", tool="nwipe", certificate_ref="NW-3", performed_at=utcnow()
    )
    setattr(data, field, utcnow() + timedelta(days=1) if value == "future" else value)
    with pytest.raises(ValidationFailed) as raised:
        services.record_erasure(device, data, actor=workshop_user)
    assert message in str(raised.value.fields)


def test_working_on_a_received_device_starts_its_reconditioning(workshop_user):
    device = factories.device()
    services.record_diagnostics(
        device,
        services.Diagnostics(cpu="i5-8350U", ram_gb=8, battery_health_pct=87),
        actor=workshop_user,
    )
    db.session.commit()
    assert (device.status, device.ram_gb, device.battery_health_pct) == ("refurbishing", 8, 87)
    with pytest.raises(ValidationFailed):
        services.record_diagnostics(
            device, services.Diagnostics(battery_health_pct=140), actor=workshop_user
        )


def test_side_exits_need_a_reason_and_end_the_workshop(workshop_user):
    device = factories.at_workshop()
    with pytest.raises(ValidationFailed, match="raison"):
        services.move(device, "recycled", actor=workshop_user, reason="")
    services.move(device, "recycled", actor=workshop_user, reason="Carte mère HS")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.record_diagnostics(device, services.Diagnostics(cpu="x"), actor=workshop_user)


@pytest.mark.parametrize("target", ["reserved", "at_relay", "handed_over", "lost"])
def test_the_workshop_cannot_name_moves_that_have_their_own_flow(workshop_user, target):
    device = factories.ready_device()
    with pytest.raises(InvalidTransition, match="ne se fait pas ici"):
        services.move(device, target, actor=workshop_user, reason="x")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("EB-000123", "EB-000123"),
        ("eb-000123 ", "EB-000123"),
        ("https://equipbank.example.org/d/EB-000042", "EB-000042"),
        ("http://192.168.1.10:5000/d/EB-000042?x=1", "EB-000042"),
    ],
)
def test_a_scan_or_a_typed_tag_gives_the_tag(text, tag):
    assert services.tag_from_scan(text) == tag


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "EB-12",
        "https://evil.example/x/EB-000001",
        "WIFI:S:home;;",
        "EB-000001; DROP TABLE",
    ],
)
def test_bad_scans_get_a_clear_message(text):
    with pytest.raises(ValidationFailed) as raised:
        services.tag_from_scan(text)
    assert raised.value.code in ("bad_scan", "bad_tag")


def test_who_sees_which_device():
    donor_user = factories.user(Role.DONOR)
    other_donor = factories.user(Role.DONOR)
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR)
    device = factories.device(factories.donation(donor_user.organisation))
    assert services.can_see(donor_user, device)
    assert not services.can_see(other_donor, device)
    assert not services.can_see(relay_user, device)
    assert not services.can_see(advisor, device)
    assert services.can_see(factories.user(Role.STAFF), device)
    assert [d.id for d in db.session.scalars(services.visible_devices(other_donor))] == []


def test_a_returned_device_needs_a_new_erasure_before_ready_again(workshop_user):
    """It comes back holding its last user's data: the erasure of its first cycle no longer counts."""
    from equipbank.devices import status as machine
    from tests.devices.test_status import World

    device = World().device_in(DeviceStatus.RETURNED)
    services.move(device, "received", actor=workshop_user)
    services.move(device, "refurbishing", actor=workshop_user)
    db.session.commit()
    assert (device.grade, device.functional_tests_passed) == (None, False)
    assert any("effacement" in item for item in machine.ready_missing(device))
    with pytest.raises(InvalidTransition, match="effacement"):
        services.move(
            device, "ready", actor=workshop_user, grade_code="A", functional_tests_passed=True
        )
    db.session.rollback()
    device = db.session.get(Device, device.id)
    services.record_erasure(
        device,
        services.ErasureData(
            method="certified_software",
            tool="nwipe",
            certificate_ref="NW-2ND",
            performed_at=utcnow(),
        ),
        actor=workshop_user,
    )
    services.move(
        device, "ready", actor=workshop_user, grade_code="B", functional_tests_passed=True
    )
    db.session.commit()
    assert db.session.get(Device, device.id).status == "ready"
