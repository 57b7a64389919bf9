"""A follow-up is logged when it really happened (issue 13, finding 4): a session held earlier
than planned is recorded as done at its real time, never at a time still to come."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments import reminders, services, tasks
from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.clock import PARIS, today, utcnow
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.reports.indicators import indicators
from equipbank.reports.period import Period
from tests import factories

SESSION = {
    "status": "done",
    "duration_minutes": "50",
    "topics": ["device_basics"],
    "autonomy": "partly_autonomous",
    "confidence": "3",
}


def appointment_for(relay_user, advisor, *, days=3) -> Appointment:
    handover = factories.handover(relay_user, advisor_=advisor, days=days)
    return db.session.scalar(sa.select(Appointment).where(Appointment.handover_id == handover.id))


def paris_minute(moment) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def test_a_session_held_earlier_than_planned_is_recorded_done_at_its_real_time(
    client, auth, relay_user, advisor
):
    appointment = appointment_for(relay_user, advisor, days=3)
    planned = appointment.starts_at
    auth.login(advisor)
    page = client.get(f"/rendez-vous/{appointment.id}").text
    assert "Séance tenue le" in page and "plus tôt que prévu" in page
    # "Réalisé" without saying when: the planned time is still to come.
    refused = client.post(f"/rendez-vous/{appointment.id}/bilan", data=SESSION)
    assert refused.status_code == 422
    assert f"Ce rendez-vous est prévu le {planned.astimezone(PARIS):%d/%m/%Y à %H:%M}" in (
        refused.text
    )
    assert "indiquez quand elle s&#39;est tenue" in refused.text
    held = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    saved = client.post(
        f"/rendez-vous/{appointment.id}/bilan", data={**SESSION, "held_at": paris_minute(held)}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    done = db.session.get(Appointment, appointment.id)
    assert (done.status, done.held_at, done.starts_at) == ("done", held, planned)
    assert (
        f"le {held.astimezone(PARIS):%d/%m/%Y à %H:%M}"
        in client.get(f"/rendez-vous/{appointment.id}").text
    )
    assert done.id not in [a.id for a in services.agenda(advisor).this_week]


def test_a_session_cannot_be_said_held_in_the_future(client, auth, relay_user, advisor):
    appointment = appointment_for(relay_user, advisor, days=3)
    auth.login(advisor)
    later = utcnow() + timedelta(hours=2)
    refused = client.post(
        f"/rendez-vous/{appointment.id}/bilan", data={**SESSION, "held_at": paris_minute(later)}
    )
    assert refused.status_code == 422
    assert "La séance ne peut pas avoir eu lieu dans le futur" in refused.text
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "scheduled"
    with pytest.raises(ValidationFailed, match="vérifiez l'année"):
        services.record_outcome(
            appointment,
            services.OutcomeData(
                status="done",
                duration_minutes=30,
                topics=["email"],
                autonomy="autonomous",
                confidence=4,
                held_at=appointment.starts_at - timedelta(days=400),
            ),
            actor=advisor,
        )


def test_moving_an_appointment_into_the_past_points_to_the_outcome(relay_user, advisor):
    appointment = appointment_for(relay_user, advisor, days=3)
    with pytest.raises(ValidationFailed, match="enregistrez son bilan"):
        services.reschedule(
            appointment,
            factories.followup(advisor, starts_at=utcnow() - timedelta(hours=1)),
            actor=advisor,
            previous_status="cancelled_by_service",
        )


def test_the_api_takes_held_at_and_returns_it_with_the_outcome(
    client, api_token, relay_user, advisor
):
    headers = api_token(advisor)
    body = {
        "status": "done",
        "duration_minutes": 40,
        "topics": ["email"],
        "autonomy": "autonomous",
        "confidence": 4,
    }
    early = appointment_for(relay_user, advisor, days=2)
    future = client.post(
        f"/api/v1/appointments/{early.id}/outcome",
        json={**body, "held_at": (utcnow() + timedelta(hours=1)).isoformat()},
        headers=headers,
    )
    assert future.status_code == 422
    error = future.get_json()["error"]
    assert error["code"] == "validation_error" and "held_at" in error["fields"]
    assert "dans le futur" in error["message"]
    unsaid = client.post(f"/api/v1/appointments/{early.id}/outcome", json=body, headers=headers)
    assert unsaid.status_code == 422 and "held_at" in unsaid.get_json()["error"]["fields"]
    held = (utcnow() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    done = client.post(
        f"/api/v1/appointments/{early.id}/outcome",
        json={**body, "held_at": held.isoformat()},
        headers=headers,
    )
    assert done.status_code == 200
    assert done.get_json()["outcome"]["held_at"] == held.isoformat()
    # A correction without held_at keeps the time recorded.
    corrected = client.post(
        f"/api/v1/appointments/{early.id}/outcome",
        json={**body, "confidence": 3},
        headers=headers,
    )
    assert corrected.get_json()["outcome"]["held_at"] == held.isoformat()

    on_time = appointment_for(relay_user, advisor, days=4)
    on_time.starts_at = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    db.session.commit()
    recorded = client.post(
        f"/api/v1/appointments/{on_time.id}/outcome", json=body, headers=headers
    ).get_json()
    assert recorded["outcome"]["held_at"] == on_time.starts_at.isoformat()  # as planned


def test_an_appointment_done_early_gets_no_reminder(relay_user, advisor):
    appointment = appointment_for(relay_user, advisor, days=1)  # within the 48 hours
    listed = reminders.due_reminders()
    assert [notice.appointment_id for notice in listed] == [appointment.id]
    services.record_outcome(
        appointment,
        services.OutcomeData(
            status="done",
            duration_minutes=30,
            topics=["email"],
            autonomy="autonomous",
            confidence=4,
            held_at=utcnow() - timedelta(minutes=10),
        ),
        actor=advisor,
    )
    db.session.commit()
    # Recorded while a sweep was under way: the notices it listed before are not sent.
    assert tasks.send_notices(listed).sent == 0
    assert reminders.due_reminders() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationReceipt)) == 0


def test_a_followup_counts_in_the_period_it_was_held_in(relay_user, advisor):
    appointment = appointment_for(relay_user, advisor, days=20)
    services.record_outcome(
        appointment,
        services.OutcomeData(
            status="done",
            duration_minutes=30,
            topics=["email"],
            autonomy="autonomous",
            confidence=4,
            held_at=utcnow() - timedelta(minutes=5),
        ),
        actor=advisor,
    )
    db.session.commit()
    held_day, planned_day = today(), appointment.starts_at.astimezone(PARIS).date()
    assert indicators(Period.of(held_day, held_day)).people_accompanied == 1
    assert indicators(Period.of(planned_day, planned_day)).people_accompanied == 0
