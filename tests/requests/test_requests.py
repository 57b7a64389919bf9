"""Relays ask, staff allocate specific ready devices atomically, relays receive them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.devices.models import Device, DeviceEvent
from equipbank.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.requests import services
from equipbank.requests.models import DeviceRequest, Reservation
from tests import factories


@pytest.fixture
def staff_user():
    return factories.user(Role.STAFF)


def new_request(relay_user, quantity=2, category="laptop") -> DeviceRequest:
    request = services.create_request(
        services.RequestData(category=category, quantity=quantity), actor=relay_user
    )
    db.session.commit()
    return request


def test_suggestions_put_the_longest_in_stock_first_then_the_best_grade(relay_user):
    old_c, old_a, new_a = (
        factories.ready_device(),
        factories.ready_device(),
        factories.ready_device(),
    )
    factories.ready_device(category="desktop")
    for device, days, grade in ((old_c, 30, "C"), (old_a, 30, "A"), (new_a, 2, "A")):
        device.status_changed_at, device.grade = utcnow() - timedelta(days=days), grade
    db.session.commit()
    suggested = services.suggested_devices(new_request(relay_user))
    assert [d.id for d in suggested] == [old_a.id, old_c.id, new_a.id]


def test_allocation_reserves_all_the_chosen_devices_or_none(relay_user, staff_user):
    request = new_request(relay_user, quantity=2)
    ready, other = factories.ready_device(), factories.ready_device()
    workshop = factories.device()  # still received
    with pytest.raises(Conflict, match=workshop.tag):
        services.allocate(request, [ready.tag, workshop.tag], actor=staff_user)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0
    assert db.session.get(Device, ready.id).status == "ready"
    services.allocate(request, [ready.tag, other.tag], actor=staff_user)
    db.session.commit()
    assert request.status == "served"
    assert {
        d.status
        for d in db.session.scalars(sa.select(Device).where(Device.id.in_([ready.id, other.id])))
    } == {"reserved"}


def test_allocation_refuses_more_devices_than_still_needed_and_other_categories(
    relay_user, staff_user
):
    request = new_request(relay_user, quantity=1)
    first, second = factories.ready_device(), factories.ready_device()
    with pytest.raises(ValidationFailed, match="attend encore 1"):
        services.allocate(request, [first.tag, second.tag], actor=staff_user)
    db.session.rollback()
    desktop = factories.ready_device(category="desktop")
    with pytest.raises(ValidationFailed, match=r"autre catégorie|la demande porte sur"):
        services.allocate(request, [desktop.tag], actor=staff_user)


def test_partial_allocation_then_release_then_served(relay_user, staff_user):
    request = new_request(relay_user, quantity=3)
    first = factories.ready_device()
    services.allocate(request, [first.tag], actor=staff_user)
    db.session.commit()
    assert request.status == "partially_served"
    reservation = request.reservations[0]
    services.release(reservation, actor=staff_user)
    db.session.commit()
    assert (db.session.get(Device, first.id).status, request.status, reservation.status) == (
        "ready",
        "approved",
        "released",
    )
    services.mark_served(request, actor=staff_user)
    db.session.commit()
    assert request.status == "served"
    with pytest.raises(InvalidTransition):
        services.allocate(request, [first.tag], actor=staff_user)


def test_the_relay_receives_only_what_is_reserved_for_it(relay_user, staff_user):
    other_relay_user = factories.user(Role.RELAY)
    request = new_request(relay_user, quantity=1)
    device = factories.ready_device()
    services.allocate(request, [device.tag], actor=staff_user)
    db.session.commit()
    with pytest.raises(NotFound):
        services.receive(device, actor=other_relay_user)
    db.session.rollback()
    services.receive(db.session.get(Device, device.id), actor=relay_user)
    db.session.commit()
    device = db.session.get(Device, device.id)
    assert (device.status, device.holder_id) == ("at_relay", relay_user.organisation_id)
    moves = (
        db.session.execute(
            sa.select(DeviceEvent.to_status)
            .where(DeviceEvent.device_id == device.id)
            .order_by(DeviceEvent.id)
        )
        .scalars()
        .all()
    )
    assert moves[-2:] == ["reserved", "at_relay"]


def test_a_relay_cancels_an_open_request_but_not_one_being_served(relay_user, staff_user):
    open_request = new_request(relay_user)
    services.cancel(open_request, actor=relay_user)
    served = new_request(relay_user)
    services.allocate(served, [factories.ready_device().tag], actor=staff_user)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="déjà attribués"):
        services.cancel(served, actor=relay_user)


@pytest.mark.parametrize(("quantity", "category"), [(0, "laptop"), (500, "laptop"), (1, "toaster")])
def test_bad_requests_are_refused(relay_user, quantity, category):
    with pytest.raises(ValidationFailed):
        services.create_request(
            services.RequestData(category=category, quantity=quantity), actor=relay_user
        )


# Pages -------------------------------------------------------------------------------------


def test_the_request_pages_from_asking_to_receiving(client, auth, app, relay_user, staff_user):
    auth.login(relay_user)
    created = client.post(
        "/demandes/nouvelle", data={"category": "laptop", "quantity": "1", "note": "Pour un senior"}
    )
    assert created.status_code == 302
    request = db.session.scalar(sa.select(DeviceRequest))
    device = factories.ready_device(brand="Lenovo", model="ThinkPad T480")

    staff_browser = app.test_client()
    staff_browser.post("/login", data={"email": staff_user.email, "password": factories.PASSWORD})
    queue = staff_browser.get("/demandes/")
    assert f"n° {request.id}" in queue.text and relay_user.organisation.name in queue.text
    page = staff_browser.get(f"/demandes/{request.id}")
    assert device.tag in page.text and "ThinkPad T480" in page.text
    staff_browser.post(f"/demandes/{request.id}/attribution", data={"tags": [device.tag]})

    home = client.get("/relais")
    assert device.tag in home.text and "Réceptionner" in home.text
    received = client.post(f"/equipements/{device.tag}/arrivee")
    assert received.headers["Location"] == f"/remises/nouvelle?device={device.tag}"
    db.session.expire_all()
    assert db.session.get(Device, device.id).status == "at_relay"


def test_two_staff_allocating_the_same_device_one_gets_a_clear_message(
    client, app, relay_user, staff_user
):
    first_request, second_request = (
        new_request(relay_user, 1),
        new_request(factories.user(Role.RELAY), 1),
    )
    device = factories.ready_device()
    tabs = []
    for _ in range(2):
        tab = app.test_client()
        tab.post("/login", data={"email": staff_user.email, "password": factories.PASSWORD})
        tabs.append(tab)
    tabs[0].post(f"/demandes/{first_request.id}/attribution", data={"tags": [device.tag]})
    answer = tabs[1].post(
        f"/demandes/{second_request.id}/attribution",
        data={"tags": [device.tag]},
        follow_redirects=True,
    )
    assert (
        f"{device.tag} n&#39;est plus disponible (réservé pour {relay_user.organisation.name})"
        in answer.text
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 1


def test_the_api_request_allocate_receive(client, api_token, relay_user, staff_user):
    relay = api_token(relay_user)
    created = client.post(
        "/api/v1/requests", json={"category": "laptop", "quantity": 2}, headers=relay
    )
    assert created.status_code == 201 and created.get_json()["status"] == "open"
    request_id = created.get_json()["id"]
    first, second, busy = factories.ready_device(), factories.ready_device(), factories.device()
    staff_headers = api_token(staff_user)
    conflict = client.post(
        f"/api/v1/requests/{request_id}/allocate",
        json={"tags": [first.tag, busy.tag]},
        headers=staff_headers,
    )
    assert (
        conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "device_not_ready"
    )
    allocated = client.post(
        f"/api/v1/requests/{request_id}/allocate",
        json={"tags": [first.tag, second.tag]},
        headers=staff_headers,
    )
    assert allocated.status_code == 200 and allocated.get_json()["status"] == "served"
    assert sorted(r["tag"] for r in allocated.get_json()["reservations"]) == sorted(
        [first.tag, second.tag]
    )
    received = client.post(f"/api/v1/devices/{first.tag}/receive", headers=relay)
    assert received.status_code == 200 and received.get_json()["status"] == "at_relay"
    assert client.post(f"/api/v1/devices/{first.tag}/receive", headers=relay).status_code == 404
    assert (
        client.post(
            f"/api/v1/requests/{request_id}/allocate", json={"tags": []}, headers=staff_headers
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/requests", json={"category": "laptop", "quantity": 1}, headers=staff_headers
        ).status_code
        == 403
    )
