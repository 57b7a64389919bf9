"""A conseiller is not double-booked unawares (issue 13, finding 3): the handover form shows
the advisor's day, and an overlapping slot is booked only once confirmed, in the page and the
API alike."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.clock import PARIS, today
from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.extensions import db
from equipbank.handovers import services
from equipbank.handovers.models import Handover
from tests import factories

DAY = today() + timedelta(days=10)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=PARIS)


def booked(relay_user, advisor, starts_at: datetime, **fields) -> Appointment:
    handover = factories.handover(relay_user, advisor_=advisor, starts_at=starts_at, **fields)
    return services.first_appointment(handover)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def handover_body(device, person, advisor, starts_at: datetime, **extra) -> dict:
    return {
        "device": device.tag,
        "beneficiary": person.id,
        "followup": {
            "advisor": advisor.id,
            "starts_at": starts_at.isoformat(),
            "location_type": "office",
        },
        **extra,
    }


def handover_form(device, person, advisor, starts_at: datetime, **extra) -> dict:
    return {
        "device": device.tag,
        "beneficiary_id": str(person.id),
        "charter_accepted": "y",
        "advisor": str(advisor.id),
        "starts_at": starts_at.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "category": "senior_isolated",  # the new-person part of the form, unused here
        **extra,
    }


def test_the_api_refuses_to_double_book_an_advisor_unless_allow_overlap(
    client, api_token, relay_user, advisor
):
    booked(relay_user, advisor, at(10))
    device, person = factories.at_relay(relay_user), factories.beneficiary(relay_user)
    headers = api_token(relay_user)
    refused = client.post(
        "/api/v1/handovers",
        json=handover_body(device, person, advisor, at(10, 30)),
        headers=headers,
    )
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "advisor_overlap"
    assert "Thomas Lambert a déjà un rendez-vous le" in error["message"]
    assert f"{DAY:%d/%m/%Y} de 10:00 à 11:00" in error["message"]
    assert "allow_overlap" in error["fields"]
    assert (count(Handover), db.session.get(Device, device.id).status) == (1, "at_relay")

    allowed = client.post(
        "/api/v1/handovers",
        json=handover_body(device, person, advisor, at(10, 30), allow_overlap=True),
        headers=headers,
    )
    assert allowed.status_code == 201
    assert allowed.get_json()["warnings"] == [error["message"]]


def test_a_free_slot_next_to_a_booked_one_needs_no_confirmation(
    client, api_token, relay_user, advisor
):
    booked(relay_user, advisor, at(10))
    device, person = factories.at_relay(relay_user), factories.beneficiary(relay_user)
    response = client.post(
        "/api/v1/handovers",
        json=handover_body(device, person, advisor, at(11)),  # right after 10:00-11:00
        headers=api_token(relay_user),
    )
    assert response.status_code == 201 and response.get_json()["warnings"] == []


def test_a_cancelled_or_done_appointment_leaves_its_slot_free(relay_user, advisor):
    cancelled = booked(relay_user, advisor, at(10))
    appointments.record_outcome(
        cancelled, appointments.OutcomeData(status="cancelled_by_service"), actor=advisor
    )
    db.session.commit()
    assert appointments.overlapping(advisor.id, at(10), 60) == []


def test_the_handover_service_itself_refuses_an_overlap_the_relay_did_not_confirm(
    relay_user, advisor
):
    booked(relay_user, advisor, at(14))
    with pytest.raises(appointments.AdvisorOverlap):
        services.hand_over(
            factories.at_relay(relay_user),
            factories.beneficiary(relay_user),
            services.HandoverData(charter_accepted=True),
            factories.followup(advisor, starts_at=at(14, 45)),
            actor=relay_user,
        )


def test_the_page_warns_of_the_clash_and_books_it_once_confirmed(client, auth, relay_user, advisor):
    booked(relay_user, advisor, at(10))
    device, person = factories.at_relay(relay_user), factories.beneficiary(relay_user)
    auth.login(relay_user)
    form = handover_form(device, person, advisor, at(10, 30))
    warned = client.post("/remises/nouvelle", data=form)
    assert warned.status_code == 422
    assert f"Thomas Lambert a déjà un rendez-vous le {DAY:%d/%m/%Y} de 10:00 à 11:00" in warned.text
    assert "Confirmer malgré le chevauchement" in warned.text
    assert 'name="confirm_overlap"' in warned.text
    # Without JavaScript, the advisor's day comes back with the form.
    assert "Déjà réservé" in warned.text and "de 10:00 à 11:00" in warned.text
    assert count(Handover) == 1
    confirmed = client.post("/remises/nouvelle", data={**form, "confirm_overlap": "y"})
    assert confirmed.status_code == 302 and count(Handover) == 2


def test_the_form_fetches_the_advisors_booked_and_free_times_of_the_day(
    client, auth, relay_user, advisor
):
    booked(relay_user, advisor, at(10))
    booked(relay_user, advisor, at(14), duration_minutes=90, location_type="workshop")
    booked(relay_user, advisor, at(9) + timedelta(days=1))  # another day
    other_relay = factories.user(Role.RELAY)
    auth.login(other_relay)  # any relay may book the advisor, and sees times, never names
    assert (
        'data-advisor-day data-url="/remises/disponibilites"'
        in client.get("/remises/nouvelle").text
    )
    page = client.get(
        "/remises/disponibilites",
        query_string={"advisor": advisor.id, "day": DAY.isoformat(), "duration_minutes": 60},
    )
    assert page.status_code == 200
    text = page.text
    assert f"Thomas Lambert le {DAY:%d/%m/%Y}" in text
    booked_part = text.split("data-booked>")[1].split("</ul>")[0]
    assert "de 10:00 à 11:00 · Dans les locaux" in booked_part
    assert "de 14:00 à 15:30 · En atelier collectif" in booked_part
    assert "09:00" not in booked_part
    free_part = text.split("data-free>")[1].split("</ul>")[0]
    assert [line.split(" <button")[0].strip() for line in free_part.split("<li>")[1:]] == [
        "de 09:00 à 10:00",
        "de 11:00 à 14:00",
        "de 15:30 à 18:00",
    ]
    assert 'data-pick="11:00"' in free_part
    for appointment in db.session.scalars(sa.select(Appointment)):
        assert appointment.beneficiary.last_name not in text
    longer = client.get(
        "/remises/disponibilites",
        query_string={"advisor": advisor.id, "day": DAY.isoformat(), "duration_minutes": 120},
    ).text
    assert "de 09:00 à 10:00" not in longer.split("data-free>")[1]


def test_the_advisors_day_is_for_relays_and_staff_about_an_active_advisor(
    client, auth, relay_user, advisor
):
    query = {"advisor": advisor.id, "day": DAY.isoformat()}
    auth.login(advisor)
    assert client.get("/remises/disponibilites", query_string=query).status_code == 403
    auth.logout()
    auth.login(relay_user)
    not_an_advisor = {**query, "advisor": relay_user.id}
    assert client.get("/remises/disponibilites", query_string=not_an_advisor).status_code == 404
    for day in ("", "demain"):
        response = client.get("/remises/disponibilites", query_string={**query, "day": day})
        assert response.status_code == 400
    far = client.get("/remises/disponibilites", query_string={**query, "day": "9999-12-31"})
    assert far.status_code == 422


def test_a_handover_form_with_a_date_years_away_says_so(client, auth, relay_user, advisor):
    device, person = factories.at_relay(relay_user), factories.beneficiary(relay_user)
    auth.login(relay_user)
    form = handover_form(device, person, advisor, at(23, 30).replace(year=9999, month=12, day=31))
    answer = client.post("/remises/nouvelle", data=form)
    assert answer.status_code == 422 and "dans plus d&#39;un an" in answer.text


def test_moving_an_appointment_by_half_an_hour_does_not_clash_with_itself(relay_user, advisor):
    appointment = booked(relay_user, advisor, at(10))
    moved = appointments.reschedule(
        appointment,
        factories.followup(advisor, starts_at=at(10, 30)),
        actor=advisor,
        previous_status="cancelled_by_beneficiary",
    )
    db.session.commit()
    assert (moved.starts_at, appointment.status) == (at(10, 30), "cancelled_by_beneficiary")


def test_moving_an_appointment_onto_another_is_refused_until_allowed(relay_user, advisor):
    booked(relay_user, advisor, at(10))
    moving = booked(relay_user, advisor, at(16))
    followup = factories.followup(advisor, starts_at=at(10, 15))
    with pytest.raises(appointments.AdvisorOverlap):
        appointments.reschedule(
            moving, followup, actor=advisor, previous_status="cancelled_by_service"
        )
    db.session.rollback()
    appointments.reschedule(
        db.session.get(Appointment, moving.id),
        followup,
        actor=advisor,
        previous_status="cancelled_by_service",
        allow_overlap=True,
    )
    db.session.commit()
    assert len(appointments.overlapping(advisor.id, at(10), 60)) == 2
