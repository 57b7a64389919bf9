"""Idempotency-Key on the API's creating POSTs: a retry gets the first answer, creates nothing."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.api.models import IdempotencyKey
from equipbank.appointments.models import Appointment
from equipbank.appointments.tasks import sweep
from equipbank.audit.models import AuditEvent
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.requests.models import DeviceRequest
from tests import factories, invariants


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def handover_body(device, person, advisor, **followup) -> dict:
    return {
        "device": device.tag,
        "beneficiary": person.id,
        "followup": {
            "advisor": advisor.id,
            "starts_at": (utcnow() + timedelta(days=2)).isoformat(),
            "location_type": "office",
            "place": "Salle 2",
            **followup,
        },
    }


@pytest.fixture
def relay(api_token, relay_user):
    return api_token(relay_user)


def test_a_retried_handover_is_made_once_and_answered_the_same(client, relay, relay_user, advisor):
    body = handover_body(factories.at_relay(relay_user), factories.beneficiary(relay_user), advisor)
    headers = {**relay, "Idempotency-Key": "3f0e8a52-retry-1"}
    first = client.post("/api/v1/handovers", json=body, headers=headers)
    again = client.post("/api/v1/handovers", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (count(Handover), count(Appointment)) == (1, 1)
    invariants.check_all()


def test_the_same_key_with_another_body_is_a_422(client, relay, relay_user, advisor):
    body = handover_body(factories.at_relay(relay_user), factories.beneficiary(relay_user), advisor)
    headers = {**relay, "Idempotency-Key": "k1"}
    assert client.post("/api/v1/handovers", json=body, headers=headers).status_code == 201
    other = client.post(
        "/api/v1/handovers", json={**body, "accessories": "chargeur"}, headers=headers
    )
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert set(other.get_json()["error"]["fields"]) == {"Idempotency-Key"}
    requests_before = count(DeviceRequest)  # the device reached the relay through one
    elsewhere = client.post(
        "/api/v1/requests", json={"category": "tablet", "quantity": 1}, headers=headers
    )
    assert elsewhere.status_code == 422 and count(DeviceRequest) == requests_before
    assert count(Handover) == 1


def test_without_a_key_a_retried_handover_is_still_a_409(client, relay, relay_user, advisor):
    body = handover_body(factories.at_relay(relay_user), factories.beneficiary(relay_user), advisor)
    assert client.post("/api/v1/handovers", json=body, headers=relay).status_code == 201
    assert client.post("/api/v1/handovers", json=body, headers=relay).status_code == 409
    assert count(Handover) == 1 and count(IdempotencyKey) == 0


def test_a_failed_first_attempt_keeps_nothing_and_the_corrected_retry_works(
    client, relay, relay_user, advisor
):
    device, person = factories.at_relay(relay_user), factories.beneficiary(relay_user)
    headers = {**relay, "Idempotency-Key": "k1"}
    past = handover_body(device, person, advisor, starts_at="2020-01-01T10:00:00Z")
    refused = client.post("/api/v1/handovers", json=past, headers=headers)
    assert refused.status_code == 422 and count(IdempotencyKey) == 0
    corrected = client.post(
        "/api/v1/handovers", json=handover_body(device, person, advisor), headers=headers
    )
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert count(Handover) == 1


def test_the_same_key_from_another_user_is_independent(client, api_token, relay_user, advisor):
    other_user = factories.user(Role.RELAY)
    for user in (relay_user, other_user):
        body = handover_body(factories.at_relay(user), factories.beneficiary(user), advisor)
        body["allow_overlap"] = True  # both book the advisor at the same hour
        headers = {**api_token(user), "Idempotency-Key": "the-same-key"}
        response = client.post("/api/v1/handovers", json=body, headers=headers)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert count(Handover) == 2


def test_expired_keys_are_purged_by_the_sweep_and_free_again(
    client, app, relay, relay_user, advisor
):
    body = {"category": "tablet", "quantity": 1}
    headers = {**relay, "Idempotency-Key": "k1"}
    assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 201
    hours = app.config["IDEMPOTENCY_KEY_TTL_HOURS"]
    key = db.session.scalar(sa.select(IdempotencyKey))
    key.created_at = utcnow() - timedelta(hours=hours, minutes=1)
    db.session.commit()
    # Past its lifetime a key no longer replays, even before the sweep purges it.
    assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 201
    assert count(DeviceRequest) == 2 and count(IdempotencyKey) == 1
    key = db.session.scalar(sa.select(IdempotencyKey))
    key.created_at = utcnow() - timedelta(hours=hours, minutes=1)
    fresh_body = {"category": "laptop", "quantity": 1}
    assert (
        client.post(
            "/api/v1/requests", json=fresh_body, headers={**relay, "Idempotency-Key": "k2"}
        ).status_code
        == 201
    )
    db.session.commit()
    sweep()
    db.session.commit()
    assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["k2"]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there"])
def test_a_malformed_key_is_a_422_in_the_error_shape(client, relay, key):
    response = client.post(
        "/api/v1/requests",
        json={"category": "tablet", "quantity": 1},
        headers={**relay, "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert response.get_json() == {
        "error": {
            "code": "validation_error",
            "message": "En-tête Idempotency-Key invalide.",
            "fields": {"Idempotency-Key": ["De 1 à 255 caractères ASCII imprimables."]},
        }
    }
    assert count(DeviceRequest) == 0


def _retried(client, path: str, body: dict, headers: dict):
    headers = {**headers, "Idempotency-Key": f"retry {path}"}
    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.get_json()
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"
    return first


def test_a_retried_beneficiary_is_registered_once(client, relay):
    body = {
        "first_name": "Youssef",
        "last_name": "Amrani",
        "birth_year": 2003,
        "commune": "06048",
        "category": "young",
        "consent": True,
    }
    _retried(client, "/api/v1/beneficiaries", body, relay)
    assert count(Beneficiary) == 1


def test_a_retried_donation_is_declared_once(client, api_token):
    donor = api_token(factories.user(Role.DONOR))
    _retried(client, "/api/v1/donations", {"lines": [{"category": "tablet", "quantity": 1}]}, donor)
    assert count(Donation) == 1


def test_a_retried_request_is_made_once(client, relay):
    _retried(client, "/api/v1/requests", {"category": "tablet", "quantity": 2}, relay)
    assert count(DeviceRequest) == 1


def test_a_retried_outcome_is_recorded_once(client, api_token, relay_user, advisor):
    handover = factories.handover(relay_user, advisor_=advisor)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    appointment.starts_at = utcnow() - timedelta(hours=2)  # an outcome is for a past session
    db.session.commit()
    body = {
        "status": "done",
        "duration_minutes": 45,
        "topics": ["email"],
        "autonomy": "autonomous",
        "confidence": 4,
    }
    path = f"/api/v1/appointments/{appointment.id}/outcome"
    first = _retried(client, path, body, api_token(advisor))
    assert first.get_json()["outcome"]["duration_minutes"] == 45
    recorded = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "appointment.outcome")
    )
    assert recorded == 1  # the replay recorded nothing again


def test_a_retried_intake_makes_one_device(client, api_token):
    donation = factories.donation()
    workshop = api_token(factories.user(Role.REFURBISHER))
    path = f"/api/v1/donations/{donation.id}/devices"
    before = count(Device)
    _retried(client, path, {"category": "tablet", "brand": "Samsung"}, workshop)
    assert count(Device) == before + 1


def test_the_openapi_document_describes_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/handovers"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert "Idempotency-Key" not in str(spec["paths"]["/api/v1/handovers"]["get"])


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="real parallel transactions are checked on PostgreSQL (CI sets DATABASE_URL)",
)
def test_parallel_retries_with_one_key_make_one_handover(app, relay, relay_user, advisor):
    body = handover_body(factories.at_relay(relay_user), factories.beneficiary(relay_user), advisor)
    headers = {**relay, "Idempotency-Key": "parallel"}
    barrier = threading.Barrier(5)
    answers: list = [None] * 5

    def post(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post("/api/v1/handovers", json=body, headers=headers)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    assert {answer.status_code for answer in answers} == {201}
    assert len({str(answer.get_json()) for answer in answers}) == 1
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 4
    assert count(Handover) == 1
    invariants.check_all()


# Anonymisation (right of erasure, retention): the kept answers that held the person go too.

YOUSSEF = {
    "first_name": "Youssef",
    "last_name": "Amrani",
    "birth_year": 2003,
    "commune": "06048",
    "category": "young",
    "phone": "06 98 76 54 32",
    "consent": True,
}
HOME = "12 rue des Lilas, Peille"  # the place of a follow-up at home


def stored_keys() -> str:
    """Every column of every row of the idempotency table, as text."""
    return str(db.session.execute(sa.text("SELECT * FROM idempotency_keys")).all())


def keyed(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


def test_anonymising_a_person_erases_every_kept_answer_that_named_them(
    client, api_token, relay, relay_user, advisor
):
    registered = client.post(
        "/api/v1/beneficiaries", json=YOUSSEF, headers=keyed(relay, "register")
    )
    assert registered.status_code == 201
    person = db.session.get(Beneficiary, registered.get_json()["id"])
    handover_request = handover_body(
        factories.at_relay(relay_user), person, advisor, location_type="home", place=HOME
    )
    handed = client.post("/api/v1/handovers", json=handover_request, headers=keyed(relay, "hand"))
    assert handed.status_code == 201
    appointment = db.session.get(Appointment, handed.get_json()["appointment"]["id"])
    appointment.starts_at = utcnow() - timedelta(hours=2)  # an outcome is for a past session
    db.session.commit()
    outcome = {"status": "no_show"}
    advisor_headers = keyed(api_token(advisor), "outcome")
    path = f"/api/v1/appointments/{appointment.id}/outcome"
    assert client.post(path, json=outcome, headers=advisor_headers).status_code == 200
    unrelated = client.post(
        "/api/v1/requests", json={"category": "tablet", "quantity": 1}, headers=keyed(relay, "ask")
    )
    assert unrelated.status_code == 201
    db.session.expire_all()
    assert "Amrani" in stored_keys() and HOME in stored_keys()

    erased = client.post(
        f"/api/v1/beneficiaries/{person.id}/anonymise",
        json={"reason": "person_asked"},
        headers=relay,
    )
    assert erased.status_code == 200
    db.session.expire_all()
    for personal in ("Youssef", "Amrani", "06 98 76 54 32", HOME):
        assert personal not in stored_keys(), personal

    # A retry of an erased answer neither replays it nor does the work again.
    for path_, body, headers in (
        ("/api/v1/beneficiaries", YOUSSEF, keyed(relay, "register")),
        ("/api/v1/handovers", handover_request, keyed(relay, "hand")),
        (path, outcome, advisor_headers),
    ):
        retried = client.post(path_, json=body, headers=headers)
        assert retried.status_code == 410, path_
        error = retried.get_json()["error"]
        assert error["code"] == "idempotency_answer_erased"
        assert "anonymisé" in error["message"]
    assert (count(Beneficiary), count(Handover)) == (1, 1)
    # The other keys still replay.
    again = client.post(
        "/api/v1/requests", json={"category": "tablet", "quantity": 1}, headers=keyed(relay, "ask")
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def test_the_retention_erases_the_kept_answers_of_the_people_it_anonymises(
    client, relay, relay_user
):
    from equipbank.beneficiaries import retention

    kept = {**YOUSSEF, "first_name": "Ines", "last_name": "Bensaid", "birth_year": 1990}
    for key, body in (("old", YOUSSEF), ("recent", kept)):
        assert (
            client.post("/api/v1/beneficiaries", json=body, headers=keyed(relay, key)).status_code
            == 201
        )
    old = db.session.scalar(sa.select(Beneficiary).where(Beneficiary.last_name == "Amrani"))
    old.updated_at = retention.months_before(utcnow(), 13)
    db.session.commit()

    assert retention.apply_retention().count == 1
    db.session.commit()
    assert "Amrani" not in stored_keys() and "Bensaid" in stored_keys()


def test_the_openapi_document_tells_what_a_retry_of_an_erased_answer_gets(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/beneficiaries"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert "410" in header["description"] and "anonymis" in header["description"]
