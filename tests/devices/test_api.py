"""The devices and intake endpoints of the API, as partner tools and the workshop call them."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.donations.models import DonationLine
from equipbank.extensions import db
from tests import factories
from tests.pdfs import decode_labels, pdf_text

ERASURE = {
    "method": "certified_software",
    "tool": "Blancco 7",
    "certificate_ref": "BLC-9",
    "performed_at": "2026-11-20T10:30:00+01:00",
}


@pytest.fixture
def workshop_headers(api_token):
    return api_token(factories.user(Role.REFURBISHER))


def test_intake_returns_the_tag_the_database_allocated(client, workshop_headers):
    donation = factories.donation(
        lines=[DonationLine(category="laptop", quantity=2, brand="HP", serials=["HP-1"])]
    )
    response = client.post(
        f"/api/v1/donations/{donation.id}/devices",
        json={"category": "laptop", "brand": "HP", "serial": "HP-1"},
        headers=workshop_headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "received" and body["tag"].startswith("EB-")
    again = client.post(
        f"/api/v1/donations/{donation.id}/devices",
        json={"category": "laptop", "brand": "hp", "serial": "HP-1"},
        headers=workshop_headers,
    )
    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "serial_taken",
        "message": f"Le numéro de série HP-1 (hp) est déjà enregistré : {body['tag']}.",
        "fields": {"serial": [f"Déjà enregistré : {body['tag']}."]},
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "toaster"}, "category"),
        ({"brand": "HP"}, "category"),
        ({"category": "laptop", "colour": "red"}, "colour"),
        ({"category": "laptop", "serial": 12}, "serial"),
    ],
)
def test_bad_intake_bodies_are_422_with_the_field(client, workshop_headers, payload, field):
    donation = factories.donation()
    response = client.post(
        f"/api/v1/donations/{donation.id}/devices", json=payload, headers=workshop_headers
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.query(Device).count() == 0


def test_invalid_json_is_a_400(client, workshop_headers):
    donation = factories.donation()
    response = client.post(
        f"/api/v1/donations/{donation.id}/devices",
        data="{not json",
        headers={**workshop_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert (
        response.get_json()["error"]["message"]
        == "Le corps de la requête n'est pas un JSON valide."
    )


def test_ready_through_the_api_needs_erasure_grade_and_tests(client, workshop_headers):
    device = factories.device()
    refused = client.post(
        f"/api/v1/devices/{device.tag}/transition",
        json={"to": "ready", "grade": "A", "functional_tests_passed": True},
        headers=workshop_headers,
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "ready_guard"
    assert db.session.get(Device, device.id).status == "received"
    assert (
        client.post(
            f"/api/v1/devices/{device.tag}/erasure", json=ERASURE, headers=workshop_headers
        ).status_code
        == 201
    )
    no_grade = client.post(
        f"/api/v1/devices/{device.tag}/transition",
        json={"to": "ready", "functional_tests_passed": True},
        headers=workshop_headers,
    )
    assert no_grade.status_code == 409 and "grade" in no_grade.get_json()["error"]["message"]
    done = client.post(
        f"/api/v1/devices/{device.tag}/transition",
        json={"to": "ready", "grade": "A", "functional_tests_passed": True},
        headers=workshop_headers,
    )
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["grade"]) == ("ready", "A")


def test_a_ready_device_goes_back_to_the_workshop_through_the_api_with_a_reason(
    client, workshop_headers
):
    device = factories.ready_device()
    url = f"/api/v1/devices/{device.tag}/transition"
    no_reason = client.post(url, json={"to": "refurbishing"}, headers=workshop_headers)
    assert no_reason.status_code == 422
    assert no_reason.get_json()["error"]["code"] == "reason_required"
    back = client.post(
        url, json={"to": "refurbishing", "reason": "Écran qui scintille"}, headers=workshop_headers
    )
    assert back.status_code == 200 and back.get_json()["status"] == "refurbishing"
    history = client.get(f"/api/v1/devices/{device.tag}", headers=workshop_headers).get_json()
    assert history["history"][-1] == {
        **history["history"][-1],
        "from": "ready",
        "to": "refurbishing",
        "reason": "Écran qui scintille",
    }


def test_an_erasure_needs_an_aware_date_and_a_device_at_the_workshop(client, workshop_headers):
    device = factories.ready_device()
    naive = client.post(
        f"/api/v1/devices/{device.tag}/erasure",
        json={**ERASURE, "performed_at": "2026-11-20T10:30:00"},
        headers=workshop_headers,
    )
    assert naive.status_code == 422 and "performed_at" in naive.get_json()["error"]["fields"]
    late = client.post(
        f"/api/v1/devices/{device.tag}/erasure", json=ERASURE, headers=workshop_headers
    )
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "not_at_workshop"


def test_an_unknown_or_malformed_tag_is_a_404(client, workshop_headers):
    for tag in ("EB-999999", "nonsense", "EB-1"):
        response = client.get(f"/api/v1/devices/{tag}", headers=workshop_headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_the_device_detail_carries_its_history_and_hides_the_holder_from_donors(client, api_token):
    donor_user = factories.user(Role.DONOR)
    device = factories.ready_device(factories.donation(donor_user.organisation))
    staff_view = client.get(
        f"/api/v1/devices/{device.tag}", headers=api_token(factories.user(Role.STAFF))
    ).get_json()
    assert [(e["from"], e["to"]) for e in staff_view["history"]] == [
        (None, "received"),
        ("received", "refurbishing"),
        ("refurbishing", "ready"),
    ]
    assert "holder" in staff_view and staff_view["erasures"][0]["method"] == "certified_software"
    donor_view = client.get(
        f"/api/v1/devices/{device.tag}", headers=api_token(donor_user)
    ).get_json()
    assert "holder" not in donor_view and "actor_id" not in donor_view["history"][0]
    assert (
        client.get(
            f"/api/v1/devices/{device.tag}", headers=api_token(factories.user(Role.DONOR))
        ).status_code
        == 404
    )


def test_the_device_list_is_scoped_filtered_and_paginated(client, api_token):
    donor_user = factories.user(Role.DONOR)
    mine = factories.donation(donor_user.organisation)
    for _ in range(3):
        factories.device(mine)
    ready = factories.ready_device()
    staff = api_token(factories.user(Role.STAFF))
    everything = client.get("/api/v1/devices?per_page=2", headers=staff).get_json()
    assert (everything["total"], len(everything["items"]), everything["page"]) == (4, 2, 1)
    only_ready = client.get("/api/v1/devices?status=ready", headers=staff).get_json()
    assert [item["tag"] for item in only_ready["items"]] == [ready.tag]
    donor = client.get("/api/v1/devices", headers=api_token(donor_user)).get_json()
    assert donor["total"] == 3
    relay = client.get("/api/v1/devices", headers=api_token(factories.user(Role.RELAY))).get_json()
    assert relay["total"] == 0
    advisor = client.get("/api/v1/devices", headers=api_token(factories.user(Role.ADVISOR)))
    assert advisor.status_code == 403


def test_the_label_pdf_encodes_the_absolute_url_of_the_device(client, workshop_headers):
    device = factories.device()
    response = client.get(f"/api/v1/devices/{device.tag}/label.pdf", headers=workshop_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert decode_labels(response.data, "single", count=1) == [
        f"http://equipbank.test/d/{device.tag}"
    ]
    assert device.tag in pdf_text(response.data)


def test_the_workshop_cannot_reserve_through_the_transition_endpoint(client, workshop_headers):
    device = factories.ready_device()
    response = client.post(
        f"/api/v1/devices/{device.tag}/transition",
        json={"to": "reserved"},
        headers=workshop_headers,
    )
    assert (
        response.status_code == 409 and response.get_json()["error"]["code"] == "not_a_direct_move"
    )


def test_a_donor_declares_through_the_api(client, api_token):
    donor_user = factories.user(Role.DONOR)
    headers = api_token(donor_user)
    response = client.post(
        "/api/v1/donations",
        json={
            "lines": [
                {"category": "laptop", "quantity": 2, "brand": "Dell", "serials": ["A1", "A2"]}
            ],
            "pickup_commune": "06057",
        },
        headers=headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "declared" and body["lines"][0]["serials"] == ["A1", "A2"]
    assert client.post("/api/v1/donations", json={"lines": []}, headers=headers).status_code == 422
    other = client.post(
        "/api/v1/donations",
        json={"donor_id": 999, "lines": [{"category": "laptop", "quantity": 1}]},
        headers=headers,
    )
    assert other.status_code == 422 and "donor_id" in other.get_json()["error"]["fields"]
    assert (
        client.post(
            "/api/v1/donations",
            json={"lines": [{"category": "laptop", "quantity": 1}]},
            headers=api_token(factories.user(Role.RELAY)),
        ).status_code
        == 403
    )


def test_donors_see_neither_holder_nor_reasons_in_pages_or_api(client, api_token, app):
    from equipbank.devices import status as machine

    donor_user = factories.user(Role.DONOR)
    device = factories.at_workshop(factories.donation(donor_user.organisation))
    machine.transition(device, "recycled", reason="Remis à Mme Durand puis rendu cassé")
    db.session.commit()
    listing = client.get("/api/v1/devices", headers=api_token(donor_user)).get_json()
    assert listing["items"] and "holder" not in listing["items"][0]
    browser = app.test_client()
    browser.post("/login", data={"email": donor_user.email, "password": factories.PASSWORD})
    page = browser.get(f"/equipements/{device.tag}").text
    assert "Durand" not in page and "Détenteur" not in page
    assert "Détenteur" not in browser.get("/equipements/").text
