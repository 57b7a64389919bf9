"""The whole chain, as its people live it: a donor gives, the workshop reconditions, a relay
asks, staff allocate, the relay receives and hands over with a follow-up appointment."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.clock import PARIS, utcnow
from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.requests.models import DeviceRequest
from tests import factories


def browser(app, user):
    client = app.test_client()
    assert (
        client.post(
            "/login", data={"email": user.email, "password": factories.PASSWORD}
        ).status_code
        == 302
    )
    return client


def test_the_chain_through_the_pages(app):
    donor, workshop, staff = (
        factories.user(Role.DONOR),
        factories.user(Role.REFURBISHER),
        factories.user(Role.STAFF),
    )
    relay = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay.organisation)

    declared = browser(app, donor).post(
        "/dons/nouveau",
        data={
            "lines-0-category": "laptop",
            "lines-0-quantity": "1",
            "lines-0-brand": "Dell",
            "lines-0-serials": "SN-CHAIN-1",
        },
    )
    donation_id = int(declared.headers["Location"].rstrip("/").split("/")[-1])

    desk = browser(app, workshop)
    desk.post(
        f"/dons/{donation_id}/reception",
        data={"category": "laptop", "brand": "Dell", "serial": "SN-CHAIN-1"},
    )
    tag = db.session.scalar(sa.select(Device).where(Device.serial == "SN-CHAIN-1")).tag
    desk.post(
        f"/equipements/{tag}/effacement",
        data={
            "method": "certified_software",
            "tool": "Blancco",
            "certificate_ref": "C-1",
            "performed_at": "2026-11-20T09:00",
            "result": "success",
        },
    )
    assert (
        desk.post(
            f"/equipements/{tag}/grade",
            data={"grade": "A", "functional_tests_passed": "y", "ready": "1"},
        ).status_code
        == 302
    )

    counter = browser(app, relay)
    counter.post("/demandes/nouvelle", data={"category": "laptop", "quantity": "1"})
    request_id = db.session.scalar(sa.select(DeviceRequest.id))
    browser(app, staff).post(f"/demandes/{request_id}/attribution", data={"tags": [tag]})
    counter.post(f"/equipements/{tag}/arrivee")
    starts = (utcnow() + timedelta(days=4)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    handed = counter.post(
        "/remises/nouvelle",
        data={
            "device": tag,
            "beneficiary_id": "",
            "first_name": "Rose",
            "last_name": "Bianchi",
            "birth_year": "1950",
            "postal_code": "06440",
            "commune_code": "06057",
            "category": "senior_isolated",
            "consent": "y",
            "charter_accepted": "y",
            "advisor": str(advisor.id),
            "starts_at": starts,
            "duration_minutes": "60",
            "location_type": "office",
            "place": "Clic & Déclic",
        },
    )
    assert handed.status_code == 302 and re.match(r"/remises/\d+$", handed.headers["Location"])
    db.session.expire_all()
    device = db.session.scalar(sa.select(Device).where(Device.serial == "SN-CHAIN-1"))
    assert device.status == "handed_over"
    handover = db.session.scalar(sa.select(Handover))
    assert (
        db.session.scalar(
            sa.select(Appointment).where(Appointment.handover_id == handover.id)
        ).advisor_id
        == advisor.id
    )
    assert db.session.get(Donation, donation_id).status == "received"
    assert [e.to_status for e in device.events] == [
        "received",
        "refurbishing",
        "ready",
        "reserved",
        "at_relay",
        "handed_over",
    ]


def test_the_chain_through_the_api(client, api_token):
    donor, workshop, staff = (
        api_token(factories.user(role)) for role in (Role.DONOR, Role.REFURBISHER, Role.STAFF)
    )
    relay_user = factories.user(Role.RELAY)
    relay = api_token(relay_user)
    advisor = factories.user(Role.ADVISOR)

    donation = client.post(
        "/api/v1/donations", json={"lines": [{"category": "tablet", "quantity": 1}]}, headers=donor
    ).get_json()
    device = client.post(
        f"/api/v1/donations/{donation['id']}/devices",
        json={"category": "tablet", "brand": "Samsung"},
        headers=workshop,
    ).get_json()
    tag = device["tag"]
    assert (
        client.post(
            f"/api/v1/devices/{tag}/erasure",
            json={
                "method": "factory_reset",
                "tool": "Samsung recovery",
                "certificate_ref": "FR-1",
                "performed_at": utcnow().isoformat(),
            },
            headers=workshop,
        ).status_code
        == 201
    )
    ready = client.post(
        f"/api/v1/devices/{tag}/transition",
        json={"to": "ready", "grade": "B", "functional_tests_passed": True},
        headers=workshop,
    )
    assert ready.get_json()["status"] == "ready"
    request = client.post(
        "/api/v1/requests", json={"category": "tablet", "quantity": 1}, headers=relay
    ).get_json()
    assert (
        client.post(
            f"/api/v1/requests/{request['id']}/allocate", json={"tags": [tag]}, headers=staff
        ).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/devices/{tag}/receive", headers=relay).get_json()["status"]
        == "at_relay"
    )
    person = client.post(
        "/api/v1/beneficiaries",
        json={
            "first_name": "Youssef",
            "last_name": "Amrani",
            "birth_year": 2003,
            "commune": "06048",
            "category": "young",
            "consent": True,
        },
        headers=relay,
    ).get_json()
    handover = client.post(
        "/api/v1/handovers",
        json={
            "device": tag,
            "beneficiary": person["id"],
            "followup": {
                "advisor": advisor.id,
                "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
                "location_type": "remote",
            },
        },
        headers=relay,
    )
    assert handover.status_code == 201
    body = handover.get_json()
    assert (body["device"], body["commune"], body["appointment"]["location_type"]) == (
        tag,
        "06048",
        "remote",
    )
    history = client.get(f"/api/v1/devices/{tag}", headers=staff).get_json()["history"]
    assert [event["to"] for event in history] == [
        "received",
        "refurbishing",
        "ready",
        "reserved",
        "at_relay",
        "handed_over",
    ]
