"""Two relays: neither sees anything of the other's beneficiaries, handovers, requests or
devices, and a 404 (not a 403) does not even tell that they exist. Staff see everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.requests import services as requests
from tests import factories


@dataclass
class RelayA:
    user: object
    request_id: int
    beneficiary_id: int
    handover_id: int
    given: str  # tag of a device handed over
    held: str  # tag of a device at the relay
    reserved: str  # tag of a device reserved for it


@pytest.fixture
def relay_a() -> RelayA:
    user = factories.user(Role.RELAY)
    handover = factories.handover(user)
    held = factories.at_relay(user)
    reserved = factories.ready_device()
    request = requests.create_request(
        requests.RequestData(category="laptop", quantity=1), actor=user
    )
    db.session.flush()
    requests.allocate(request, [reserved.tag], actor=factories.user(Role.STAFF))
    db.session.commit()
    return RelayA(
        user,
        request.id,
        handover.beneficiary_id,
        handover.id,
        handover.device.tag,
        held.tag,
        reserved.tag,
    )


@pytest.fixture
def relay_b(client, auth):
    user = factories.user(Role.RELAY)
    auth.login(user)
    return user


PAGES = [
    ("GET", "/demandes/{request_id}"),
    ("POST", "/demandes/{request_id}/annulation"),
    ("GET", "/beneficiaires/{beneficiary_id}"),
    ("GET", "/beneficiaires/{beneficiary_id}/modifier"),
    ("POST", "/beneficiaires/{beneficiary_id}/modifier"),
    ("GET", "/beneficiaires/{beneficiary_id}/donnees.pdf"),
    ("GET", "/beneficiaires/{beneficiary_id}/donnees.json"),
    ("POST", "/beneficiaires/{beneficiary_id}/anonymisation"),
    ("GET", "/remises/{handover_id}"),
    ("GET", "/remises/{handover_id}/bon-de-remise.pdf"),
    ("GET", "/remises/{handover_id}/rendez-vous.ics"),
    ("POST", "/remises/{handover_id}/retour"),
    ("GET", "/equipements/{given}"),
    ("GET", "/equipements/{held}"),
    ("GET", "/equipements/{reserved}"),
    ("POST", "/equipements/{reserved}/arrivee"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_another_relay_gets_a_404_on_every_page(client, relay_a, relay_b, method, path):
    url = path.format(**vars(relay_a))
    response = client.open(url, method=method, data={"reason": "x"})
    assert response.status_code == 404, url


API = [
    ("GET", "/api/v1/requests/{request_id}", None),
    ("GET", "/api/v1/beneficiaries/{beneficiary_id}", None),
    ("GET", "/api/v1/beneficiaries/{beneficiary_id}/export", None),
    ("POST", "/api/v1/beneficiaries/{beneficiary_id}/anonymise", {"reason": "person_asked"}),
    ("GET", "/api/v1/handovers/{handover_id}", None),
    ("POST", "/api/v1/handovers/{handover_id}/return", {"reason": "x"}),
    ("GET", "/api/v1/devices/{given}", None),
    ("GET", "/api/v1/devices/{held}", None),
    ("GET", "/api/v1/devices/{reserved}", None),
    ("POST", "/api/v1/devices/{reserved}/receive", None),
]


@pytest.mark.parametrize(("method", "path", "body"), API)
def test_another_relay_gets_a_404_on_every_endpoint(client, api_token, relay_a, method, path, body):
    headers = api_token(factories.user(Role.RELAY))
    url = path.format(**vars(relay_a))
    response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == 404, url
    assert response.get_json()["error"]["code"] == "not_found"


def test_another_relay_cannot_hand_over_with_the_first_ones_device_or_person(
    client, api_token, relay_a
):
    other = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR)
    own_device = factories.at_relay(other)
    own_person = factories.beneficiary(other)
    followup = {
        "advisor": advisor.id,
        "starts_at": (utcnow() + timedelta(days=2)).isoformat(),
        "location_type": "office",
    }
    headers = api_token(other)
    for device, person in ((relay_a.held, own_person.id), (own_device.tag, relay_a.beneficiary_id)):
        response = client.post(
            "/api/v1/handovers",
            json={"device": device, "beneficiary": person, "followup": followup},
            headers=headers,
        )
        assert response.status_code == 404


def test_lists_show_nothing_of_the_other_relay(client, api_token, relay_a, relay_b):
    person = db.session.get(
        __import__("equipbank.beneficiaries.models", fromlist=["Beneficiary"]).Beneficiary,
        relay_a.beneficiary_id,
    )
    for page in (
        "/demandes/",
        "/beneficiaires/",
        "/remises/",
        "/equipements/",
        "/relais",
        "/remises/nouvelle",
    ):
        text = client.get(page).text
        for secret in (
            relay_a.given,
            relay_a.held,
            relay_a.reserved,
            person.first_name,
            f"n° {relay_a.request_id}<",
        ):
            assert secret not in text, (page, secret)
    headers = api_token(factories.user(Role.RELAY))
    for endpoint in (
        "/api/v1/requests",
        "/api/v1/beneficiaries",
        "/api/v1/handovers",
        "/api/v1/devices",
    ):
        assert client.get(endpoint, headers=headers).get_json()["total"] == 0, endpoint


def test_scanning_the_other_relays_device_says_nothing_about_it(client, relay_a, relay_b):
    page = client.get("/scanner", query_string={"code": relay_a.held})
    assert page.status_code == 422 and "ne vous est accessible" in page.text
    neutral = client.get(f"/d/{relay_a.held}")
    assert "n'est accessible à votre compte" in neutral.text


def test_the_first_relay_and_staff_do_see_it(client, api_token, relay_a):
    for user in (relay_a.user, factories.user(Role.STAFF)):
        headers = api_token(user)
        assert (
            client.get(
                f"/api/v1/beneficiaries/{relay_a.beneficiary_id}", headers=headers
            ).status_code
            == 200
        )
        assert (
            client.get(f"/api/v1/handovers/{relay_a.handover_id}", headers=headers).status_code
            == 200
        )
        assert client.get(f"/api/v1/devices/{relay_a.held}", headers=headers).status_code == 200


@pytest.mark.parametrize("role", [Role.DONOR, Role.ADVISOR, Role.REFURBISHER])
def test_other_roles_never_reach_beneficiaries(client, api_token, relay_a, role):
    headers = api_token(factories.user(role))
    assert (
        client.get(f"/api/v1/beneficiaries/{relay_a.beneficiary_id}", headers=headers).status_code
        == 403
    )
    assert client.get("/api/v1/beneficiaries", headers=headers).status_code == 403
    for method, path, body in (
        ("GET", "/api/v1/beneficiaries/{}/export", None),
        ("POST", "/api/v1/beneficiaries/{}/anonymise", {"reason": "person_asked"}),
    ):
        url = path.format(relay_a.beneficiary_id)
        assert client.open(url, method=method, json=body, headers=headers).status_code == 403


def test_the_other_relays_attempts_leave_the_person_untouched(client, api_token, relay_a):
    """The erasure refused above (404) did nothing: the person is still whole."""
    from equipbank.beneficiaries.models import Beneficiary

    headers = api_token(factories.user(Role.RELAY))
    url = f"/api/v1/beneficiaries/{relay_a.beneficiary_id}/anonymise"
    assert client.post(url, json={"reason": "person_asked"}, headers=headers).status_code == 404
    db.session.expire_all()
    person = db.session.get(Beneficiary, relay_a.beneficiary_id)
    assert person.anonymised_at is None and person.first_name
    own = client.get(
        f"/api/v1/beneficiaries/{relay_a.beneficiary_id}/export", headers=api_token(relay_a.user)
    )
    assert own.status_code == 200
