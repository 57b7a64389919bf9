"""The accompaniment: the advisor's agenda and outcomes, new appointments, what relays see."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from equipbank.appointments import services, tasks
from equipbank.appointments.models import Appointment
from equipbank.audit.models import AuditEvent
from equipbank.clock import PARIS, utcnow
from equipbank.codes import Role
from equipbank.errors import InvalidTransition, ValidationFailed
from equipbank.extensions import db
from tests import factories

DONE = {
    "status": "done",
    "duration_minutes": "75",
    "topics": ["email", "online_procedures"],
    "autonomy": "partly_autonomous",
    "confidence": "3",
    "next_step": "workshop",
}


def appointment_for(relay_user, advisor, *, days=7, **fields) -> Appointment:
    handover = factories.handover(relay_user, advisor_=advisor, days=days, **fields)
    return db.session.scalar(sa.select(Appointment).where(Appointment.handover_id == handover.id))


def in_the_past(appointment: Appointment, hours: int = 2) -> Appointment:
    appointment.starts_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return appointment


def test_the_agenda_sorts_today_this_week_later_and_what_to_fill(relay_user, advisor):
    past = in_the_past(appointment_for(relay_user, advisor), hours=30)
    later = appointment_for(relay_user, advisor, days=20)
    agenda = services.agenda(advisor)
    assert [a.id for a in agenda.to_fill] == [past.id]
    assert later.id in [a.id for a in agenda.later]
    assert services.to_fill_count(advisor) == 1


def test_the_advisor_records_what_happened(client, auth, relay_user, advisor):
    appointment = in_the_past(appointment_for(relay_user, advisor))
    auth.login(advisor)
    home = client.get("/conseiller")
    assert (
        "À renseigner (1)" in home.text
        and '<span class="count" aria-label="1 en attente">1</span>' in home.text
    )
    page = client.get(f"/rendez-vous/{appointment.id}")
    assert appointment.beneficiary.phone is None or appointment.beneficiary.phone in page.text
    assert "Joindre la personne" in page.text
    refused = client.post(
        f"/rendez-vous/{appointment.id}/bilan", data={**DONE, "duration_minutes": ""}
    )
    assert refused.status_code == 422 and "Indiquez la durée" in refused.text
    assert client.post(f"/rendez-vous/{appointment.id}/bilan", data=DONE).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Appointment, appointment.id)
    assert (saved.status, saved.outcome_duration_minutes, saved.topics, saved.confidence) == (
        "done",
        75,
        ["email", "online_procedures"],
        3,
    )
    assert "(1)" not in client.get("/conseiller").text
    audit = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.appointment")
    )
    assert audit.actor_id == advisor.id


def test_an_outcome_on_someone_elses_appointment_is_a_404(client, auth, relay_user, advisor):
    appointment = in_the_past(appointment_for(relay_user, advisor))
    other = factories.user(Role.ADVISOR)
    auth.login(other)
    assert client.get(f"/rendez-vous/{appointment.id}").status_code == 404
    assert client.post(f"/rendez-vous/{appointment.id}/bilan", data=DONE).status_code == 404
    assert db.session.get(Appointment, appointment.id).status == "scheduled"


def test_done_and_no_show_wait_for_the_appointment_but_a_cancellation_does_not(relay_user, advisor):
    appointment = appointment_for(relay_user, advisor)
    with pytest.raises(ValidationFailed, match="pas encore eu lieu"):
        services.record_outcome(appointment, services.OutcomeData(status="no_show"), actor=advisor)
    services.record_outcome(
        appointment, services.OutcomeData(status="cancelled_by_service"), actor=advisor
    )
    db.session.commit()
    assert (appointment.status, appointment.calendar_sequence) == ("cancelled_by_service", 1)


def test_a_no_show_offers_a_new_appointment_in_one_click_and_the_chain_shows_it(
    client, auth, relay_user, advisor
):
    appointment = in_the_past(appointment_for(relay_user, advisor))
    auth.login(advisor)
    client.post(f"/rendez-vous/{appointment.id}/bilan", data={"status": "no_show"})
    page = client.get(f"/rendez-vous/{appointment.id}")
    assert "Proposer ce nouveau rendez-vous" in page.text
    one_click = {
        "advisor": str(advisor.id),
        "starts_at": (utcnow() + timedelta(days=6)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "place": "Salle 2",
    }
    created = client.post(f"/rendez-vous/{appointment.id}/nouveau", data=one_click)
    assert created.status_code == 302
    new = db.session.scalar(
        sa.select(Appointment).where(Appointment.rescheduled_from_id == appointment.id)
    )
    assert (new.status, new.handover_id, new.advisor_id) == (
        "scheduled",
        appointment.handover_id,
        advisor.id,
    )
    history = client.get(f"/rendez-vous/{new.id}").text
    assert "Historique du suivi" in history and "Absent" in history
    assert (
        client.post(f"/rendez-vous/{appointment.id}/nouveau", data=one_click).status_code == 422
    )  # once


def test_moving_a_scheduled_appointment_says_who_asked_and_cancels_the_old_one(relay_user, advisor):
    appointment = appointment_for(relay_user, advisor)
    followup = factories.followup(advisor, days=9)
    with pytest.raises(ValidationFailed, match="qui reporte"):
        services.reschedule(appointment, followup, actor=advisor)
    db.session.rollback()
    new = services.reschedule(
        db.session.get(Appointment, appointment.id),
        followup,
        actor=advisor,
        previous_status="cancelled_by_beneficiary",
    )
    db.session.commit()
    assert db.session.get(Appointment, appointment.id).status == "cancelled_by_beneficiary"
    assert [a.id for a in services.chain(new)] == [appointment.id, new.id]
    with pytest.raises(InvalidTransition):
        services.reschedule(
            db.session.get(Appointment, appointment.id),
            factories.followup(advisor, days=10),
            actor=advisor,
        )


def test_an_overlapping_slot_is_a_warning_to_confirm_and_a_past_one_is_refused(
    client, auth, relay_user, advisor
):
    first = appointment_for(relay_user, advisor)
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    auth.login(relay_user)
    form = {
        "device": device.tag,
        "beneficiary_id": str(person.id),
        "charter_accepted": "y",
        "advisor": str(advisor.id),
        "starts_at": (first.starts_at + timedelta(minutes=30))
        .astimezone(PARIS)
        .strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "category": "senior_isolated",
    }
    warned = client.post("/remises/nouvelle", data=form)
    assert warned.status_code == 422 and "Thomas Lambert a déjà un rendez-vous" in warned.text
    assert (
        client.post("/remises/nouvelle", data={**form, "confirm_overlap": "y"}).status_code == 302
    )
    past = factories.followup(advisor, starts_at=utcnow() - timedelta(minutes=5))
    with pytest.raises(ValidationFailed):
        services.check_followup(past)


def test_the_same_handover_form_sent_twice_shows_the_handover_it_made(
    client, auth, relay_user, advisor
):
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    auth.login(relay_user)
    form = {
        "device": device.tag,
        "beneficiary_id": str(person.id),
        "charter_accepted": "y",
        "advisor": str(advisor.id),
        "starts_at": (utcnow() + timedelta(days=3)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "category": "senior_isolated",
    }
    first = client.post("/remises/nouvelle", data=form)
    second = client.post("/remises/nouvelle", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "Cette remise est déjà enregistrée." in client.get(second.headers["Location"]).text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1


def test_rescheduling_onto_an_advisors_busy_slot_asks_for_a_confirmation(
    client, auth, relay_user, advisor
):
    busy = appointment_for(relay_user, advisor, days=10)
    moved = appointment_for(relay_user, advisor, days=5)
    auth.login(advisor)
    form = {
        "advisor": str(advisor.id),
        "starts_at": busy.starts_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "previous_status": "cancelled_by_service",
    }
    warned = client.post(f"/rendez-vous/{moved.id}/nouveau", data=form)
    assert warned.status_code == 422 and "Thomas Lambert a déjà un rendez-vous" in warned.text
    db.session.expire_all()
    assert db.session.get(Appointment, moved.id).status == "scheduled"  # nothing written
    confirmed = client.post(
        f"/rendez-vous/{moved.id}/nouveau", data={**form, "confirm_overlap": "y"}
    )
    assert confirmed.status_code == 302


def test_the_api_hands_over_onto_a_busy_slot_and_says_so(client, api_token, relay_user, advisor):
    busy = appointment_for(relay_user, advisor)
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    response = client.post(
        "/api/v1/handovers",
        json={
            "device": device.tag,
            "beneficiary": person.id,
            "followup": {
                "advisor": advisor.id,
                "starts_at": busy.starts_at.isoformat(),
                "location_type": "office",
            },
            "allow_overlap": True,  # without it, a 409 (tests/handovers/test_advisor_overlap.py)
        },
        headers=api_token(relay_user),
    )
    assert response.status_code == 201
    assert response.get_json()["warnings"] == [
        services.overlap_message(
            services.overlapping(advisor.id, busy.starts_at, 60, exclude_id=None)[:1]
        )
    ]
    listed = client.get("/api/v1/handovers", headers=api_token(relay_user)).get_json()
    assert all("warnings" not in item for item in listed["items"])


def test_relays_see_each_handovers_followup_and_the_overdue_ones(client, auth, relay_user, advisor):
    fine = appointment_for(relay_user, advisor)
    late = in_the_past(appointment_for(relay_user, advisor), hours=48)
    missed = in_the_past(appointment_for(relay_user, advisor))
    services.record_outcome(missed, services.OutcomeData(status="no_show"), actor=advisor)
    db.session.commit()
    assert [a.id for a in services.overdue_followups(relay_user.organisation_id)] == [
        late.id,
        missed.id,
    ]
    auth.login(relay_user)
    home = client.get("/relais").text
    assert "Suivis en retard (2)" in home
    listing = client.get("/remises/").text
    assert listing.count("en retard</span>") == 2 and "Planifié" in listing
    overdue = client.get("/remises/?suivi=en-retard").text
    assert fine.handover.device.tag not in overdue and late.handover.device.tag in overdue


def test_the_api_lists_by_advisor_status_and_period_and_takes_outcomes(
    client, api_token, relay_user, advisor
):
    appointment = in_the_past(appointment_for(relay_user, advisor))
    soon = appointment_for(relay_user, advisor, days=3)
    other_advisor = factories.user(Role.ADVISOR)
    mine = api_token(advisor)
    listed = client.get("/api/v1/appointments?status=scheduled", headers=mine).get_json()
    assert [item["id"] for item in listed["items"]] == [appointment.id, soon.id]
    window = client.get(
        "/api/v1/appointments",
        query_string={
            "from": utcnow().isoformat(),
            "to": (utcnow() + timedelta(days=5)).isoformat(),
        },
        headers=mine,
    ).get_json()
    assert [item["id"] for item in window["items"]] == [soon.id]
    reversed_period = client.get(
        "/api/v1/appointments",
        query_string={"from": "2026-12-31T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        headers=mine,
    )
    assert reversed_period.status_code == 422
    assert (
        client.get("/api/v1/appointments", headers=api_token(other_advisor)).get_json()["total"]
        == 0
    )
    assert (
        client.get("/api/v1/appointments", headers=api_token(relay_user)).get_json()["total"] == 2
    )
    no_duration = client.post(
        f"/api/v1/appointments/{appointment.id}/outcome",
        json={"status": "done", "topics": ["email"], "autonomy": "autonomous", "confidence": 4},
        headers=mine,
    )
    assert (
        no_duration.status_code == 422
        and "duration_minutes" in no_duration.get_json()["error"]["fields"]
    )
    done = client.post(
        f"/api/v1/appointments/{appointment.id}/outcome",
        json={
            "status": "done",
            "duration_minutes": 45,
            "topics": ["email"],
            "autonomy": "autonomous",
            "confidence": 4,
        },
        headers=mine,
    )
    assert done.status_code == 200 and done.get_json()["outcome"]["duration_minutes"] == 45
    assert (
        client.post(
            f"/api/v1/appointments/{appointment.id}/outcome",
            json={"status": "no_show"},
            headers=api_token(other_advisor),
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/appointments/{appointment.id}/outcome",
            json={"status": "no_show"},
            headers=api_token(relay_user),
        ).status_code
        == 403
    )


def test_the_private_calendar_feed(client, auth, app, relay_user, advisor):
    appointment = appointment_for(relay_user, advisor)
    auth.login(advisor)
    page = client.post("/calendrier")
    assert page.headers["Cache-Control"] == "no-store"
    url = page.text.split('id="feed-url">')[1].split("<")[0]
    path = url.removeprefix("http://equipbank.test")
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [f"appointment-{appointment.id}@equipbank"]
    assert appointment.beneficiary.last_name not in feed.data.decode()
    client.post("/calendrier")  # a new address: the old one stops working
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendrier/pas-un-jeton.ics").status_code == 404


def test_end_to_end_handover_reminder_outcome_seen_by_the_relay(
    client, app, smtp_server, relay_user, advisor
):
    """Done when: handover -> appointment -> reminder with an .ics icalendar parses -> the
    advisor records the outcome -> the relay sees it."""
    appointment = appointment_for(relay_user, advisor, days=1)
    assert tasks.send_due().sent == 1
    reminder = smtp_server.to(advisor.email)[0]
    attachment = next(
        part for part in reminder.iter_attachments() if part.get_content_type() == "text/calendar"
    )
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == appointment.starts_at
    in_the_past(appointment)
    advisor_browser = app.test_client()
    advisor_browser.post("/login", data={"email": advisor.email, "password": factories.PASSWORD})
    assert (
        advisor_browser.post(f"/rendez-vous/{appointment.id}/bilan", data=DONE).status_code == 302
    )
    relay_browser = app.test_client()
    relay_browser.post("/login", data={"email": relay_user.email, "password": factories.PASSWORD})
    assert (
        '<span class="badge appointment-done">Réalisé</span>' in relay_browser.get("/remises/").text
    )
