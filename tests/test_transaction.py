"""One commit per request, job or command; side effects only after it, never an error after it."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from equipbank import transaction
from equipbank.appointments import tasks
from equipbank.appointments.models import Appointment
from equipbank.auth.models import User
from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from tests import factories

QUEUE_DOWN = "redis://127.0.0.1:1/0"  # nothing listens there


def test_side_effects_run_after_the_commit_and_see_what_it_saved():
    relay = factories.organisation("relay")
    seen = []

    def look():
        seen.append(db.session.scalar(sa.select(sa.func.count()).select_from(User)))

    db.session.add(User(email="a@example.org", name="A", role=Role.RELAY, organisation=relay))
    transaction.after_commit(look)
    assert seen == []
    transaction.commit()
    assert seen == [1]


def test_a_rollback_drops_the_side_effects_of_its_transaction():
    calls = []
    transaction.after_commit(calls.append, "sent")
    transaction.rollback()
    transaction.commit()
    assert calls == []


def test_a_failing_side_effect_is_logged_keeps_the_change_and_the_others_still_run(caplog):
    relay = factories.organisation("relay")
    calls = []

    def broken():
        raise ConnectionError("queue down")

    db.session.add(User(email="b@example.org", name="B", role=Role.RELAY, organisation=relay))
    transaction.after_commit(broken)
    transaction.after_commit(calls.append, "next")
    with caplog.at_level(logging.ERROR, logger="equipbank.transaction"):
        transaction.commit()
    assert calls == ["next"]
    assert "broken" in caplog.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "b@example.org")) is not None


def test_a_job_or_command_commits_when_it_returns_and_rolls_back_when_it_raises():
    relay = factories.organisation("relay")

    @transaction.unit_of_work
    def add(email: str, fail: bool = False):
        db.session.add(User(email=email, name="C", role=Role.RELAY, organisation=relay))
        db.session.flush()
        if fail:
            raise RuntimeError("crash")

    add("kept@example.org")
    with pytest.raises(RuntimeError):
        add("lost@example.org", fail=True)
    emails = set(db.session.scalars(sa.select(User.email)))
    assert "kept@example.org" in emails and "lost@example.org" not in emails


def test_an_api_call_refused_after_writing_leaves_nothing(client, api_token):
    """The handover is flushed before its follow-up is refused: the boundary rolls it back."""
    relay_user = factories.user(Role.RELAY)
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
    response = client.post(
        "/api/v1/handovers",
        json={
            "device": device.tag,
            "beneficiary": person.id,
            "followup": {
                "advisor": advisor.id,
                "starts_at": "2020-01-06T10:00:00+01:00",
                "location_type": "office",
            },
        },
        headers=api_token(relay_user),
    )
    assert response.status_code == 422
    assert "followup.starts_at" in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0
    assert db.session.get(Device, device.id).status == "at_relay"


@pytest.fixture
def followed_appointment(smtp_server):
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(
        Role.ADVISOR, organisation_=relay_user.organisation, email="thomas@cnfs.example"
    )
    handover = factories.handover(relay_user, advisor_=advisor, days=1)
    tasks.send_due()  # the reminder: a cancellation after it is sent as such
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    return advisor, appointment


def test_a_cancellation_answered_while_the_queue_is_down_is_saved_and_sent_by_the_sweep(
    client, app, api_token, monkeypatch, smtp_server, followed_appointment
):
    advisor, appointment = followed_appointment
    headers = api_token(advisor)
    sent_before = len(smtp_server.messages)
    monkeypatch.setitem(app.config, "REDIS_URL", QUEUE_DOWN)
    response = client.post(
        f"/api/v1/appointments/{appointment.id}/outcome",
        json={"status": "cancelled_by_beneficiary"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled_by_beneficiary"
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "cancelled_by_beneficiary"
    assert len(smtp_server.messages) == sent_before  # nothing went out: the queue is down

    monkeypatch.setitem(app.config, "REDIS_URL", None)
    tasks.send_due()  # the periodic sweep, once the queue is back
    assert "Annulé" in smtp_server.messages[-1]["Subject"]
    assert len(smtp_server.messages) == sent_before + 1


def test_the_cancellation_page_too_is_saved_while_the_queue_is_down(
    client, app, auth, monkeypatch, smtp_server, followed_appointment
):
    advisor, appointment = followed_appointment
    auth.login(advisor)
    monkeypatch.setitem(app.config, "REDIS_URL", QUEUE_DOWN)
    response = client.post(
        f"/rendez-vous/{appointment.id}/bilan", data={"status": "cancelled_by_service"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "cancelled_by_service"
