"""Calendar files, parsed back with icalendar as a calendar client would read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from equipbank.appointments.calendar import (
    Attendee,
    CalendarEvent,
    appointment_uid,
    event_ics,
    feed_ics,
)

PARIS = ZoneInfo("Europe/Paris")
UPDATED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
EVENT = CalendarEvent(
    uid=appointment_uid(42),
    sequence=0,
    starts_at=datetime(2026, 12, 1, 14, 30, tzinfo=PARIS),
    duration_minutes=90,
    summary="Rendez-vous d’accompagnement : prise en main",
    description="Apporter l’ordinateur et son chargeur.",
    location="Maison France Services, salle 2",
    url="https://equipbank.example.org/appointments/42",
    organizer_name="CCAS de L'Escarène",
    organizer_email="accueil@ccas-escarene.example.org",
    updated_at=UPDATED,
)


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def only_event(ics: bytes) -> Event:
    events = parse(ics).events
    assert len(events) == 1
    return events[0]


def test_the_uid_is_stable_across_changes_of_the_same_appointment():
    first = only_event(event_ics(EVENT))
    moved = replace(EVENT, sequence=1, starts_at=datetime(2026, 12, 2, 9, 0, tzinfo=PARIS))
    second = only_event(event_ics(moved))
    assert first["UID"] == second["UID"] == "appointment-42@equipbank"
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert appointment_uid(42, "banque-numerique.example.org") == (
        "appointment-42@banque-numerique.example.org"
    )


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(2026, 12, 1, 14, 30, tzinfo=PARIS),  # winter: UTC+1
        datetime(2026, 7, 7, 9, 0, tzinfo=PARIS),  # summer: UTC+2
        datetime(2026, 7, 7, 7, 0, tzinfo=UTC),
        datetime(2026, 7, 7, 2, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_times_are_written_in_utc_and_mean_the_same_instant(starts_at):
    ics = event_ics(replace(EVENT, starts_at=starts_at))
    event = only_event(ics)
    assert event.start == starts_at
    assert event.start.utcoffset() == timedelta(0)
    assert event.end - event.start == timedelta(minutes=90)
    expected = starts_at.astimezone(UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ")
    assert expected.encode() in ics
    assert b"VTIMEZONE" not in ics and b"TZID" not in ics


def test_text_round_trips_with_french_characters_and_ical_special_characters():
    text = {
        "summary": "Rendez-vous : « prise en main », courriel; démarches",
        "description": "Première ligne, avec virgule ; point-virgule\nDeuxième ligne: œuf \\ fin\n",
        "location": "3 place de la Mairie, 06440 L'Escarène; salle « Œ »",
    }
    ics = event_ics(replace(EVENT, **text))
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))  # folded, bytes counted
    unfolded = ics.replace(b"\r\n ", b"")
    assert b"courriel\\; d" in unfolded and b"ligne\\, avec" in unfolded
    assert "virgule \\; point-virgule\\nDeuxième".encode() in unfolded
    event = only_event(ics)
    for name, value in text.items():
        assert event[name.upper()] == value


def test_a_very_long_description_is_folded_and_comes_back_whole():
    description = "Démarches en ligne, sécurité, visioconférence ; " * 40
    event = only_event(event_ics(replace(EVENT, description=description)))
    assert event["DESCRIPTION"] == description


def test_the_calendar_says_who_made_it_and_how_to_read_it():
    calendar = parse(event_ics(EVENT))
    assert calendar["PRODID"] == "-//equipbank//Banque du Numérique//FR"
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"


def test_an_event_has_an_alarm_an_hour_before():
    event = only_event(event_ics(EVENT))
    assert event["STATUS"] == "CONFIRMED"
    [alarm] = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["DESCRIPTION"] == EVENT.summary
    assert alarm["TRIGGER"].dt == timedelta(hours=-1)


def test_updated_at_gives_the_stamp_and_now_is_the_default():
    event = only_event(event_ics(EVENT))
    assert event["DTSTAMP"].dt == UPDATED and event["LAST-MODIFIED"].dt == UPDATED
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = only_event(event_ics(replace(EVENT, updated_at=None)))["DTSTAMP"].dt
    assert before <= stamp <= datetime.now(UTC)
    assert stamp.utcoffset() == timedelta(0)


def test_an_invitation_names_its_organizer_and_attendees():
    invited = replace(EVENT, attendees=(Attendee("camille.martin@example.org", "Camille Martin"),))
    calendar = parse(event_ics(invited, method="REQUEST"))
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.events[0]
    assert event["ORGANIZER"] == "mailto:accueil@ccas-escarene.example.org"
    assert event["ORGANIZER"].params["CN"] == "CCAS de L'Escarène"
    assert event["ATTENDEE"] == "mailto:camille.martin@example.org"
    assert event["ATTENDEE"].params["CN"] == "Camille Martin"
    assert event["URL"] == EVENT.url


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_or_cancellation_without_organizer_is_refused(method):
    with pytest.raises(ValueError, match="organizer"):
        event_ics(replace(EVENT, organizer_email=None), method=method)


def test_cancel_method_cancels_the_event_and_drops_its_alarm():
    calendar = parse(event_ics(replace(EVENT, sequence=2), method="CANCEL"))
    assert calendar["METHOD"] == "CANCEL"
    event = calendar.events[0]
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == "appointment-42@equipbank" and event["SEQUENCE"] == 2
    assert event.walk("VALARM") == []


def test_a_cancelled_event_published_is_cancelled_too():
    event = only_event(event_ics(replace(EVENT, cancelled=True)))
    assert event["STATUS"] == "CANCELLED"
    assert event.walk("VALARM") == []


def test_the_module_adds_nothing_the_caller_did_not_give():
    bare = CalendarEvent(
        uid=appointment_uid(7),
        sequence=0,
        starts_at=datetime(2026, 12, 1, 9, 0, tzinfo=PARIS),
        duration_minutes=60,
        summary="Rendez-vous",
        updated_at=UPDATED,
    )
    event = only_event(event_ics(bare))
    for name in ("DESCRIPTION", "LOCATION", "URL", "ORGANIZER", "ATTENDEE", "CONTACT", "COMMENT"):
        assert name not in event
    assert event.walk("VALARM")[0]["DESCRIPTION"] == "Rendez-vous"


def test_same_data_give_the_same_file():
    assert event_ics(EVENT) == event_ics(EVENT)
    assert feed_ics([EVENT], name="Agenda") == feed_ics([EVENT], name="Agenda")


@pytest.mark.parametrize(
    "bad",
    [
        {"starts_at": datetime(2026, 12, 1, 14, 30)},
        {"updated_at": datetime(2026, 11, 24, 10, 0)},
        {"duration_minutes": 0},
    ],
)
def test_naive_times_and_empty_durations_are_refused(bad):
    with pytest.raises(ValueError):
        event_ics(replace(EVENT, **bad))


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        event_ics(EVENT, method="REPLY")


def test_a_feed_holds_every_event_and_says_how_to_refresh():
    events = [
        EVENT,
        replace(EVENT, uid=appointment_uid(43), starts_at=EVENT.starts_at + timedelta(days=1)),
        replace(EVENT, uid=appointment_uid(44), sequence=3, cancelled=True),
    ]
    calendar = parse(feed_ics(events, name="Rendez-vous de Camille, CCAS", refresh_minutes=30))
    vevents = calendar.events
    assert len(vevents) == 3
    assert [event["UID"] for event in vevents] == [
        "appointment-42@equipbank",
        "appointment-43@equipbank",
        "appointment-44@equipbank",
    ]
    assert [event["STATUS"] for event in vevents] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert calendar["X-WR-CALNAME"] == "Rendez-vous de Camille, CCAS"
    assert calendar.calendar_name == "Rendez-vous de Camille, CCAS"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Paris"
    assert calendar.refresh_interval == timedelta(minutes=30)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"] == "PT30M"
    assert "METHOD" not in calendar
    assert calendar["PRODID"] == "-//equipbank//Banque du Numérique//FR"


def test_an_empty_feed_is_still_a_calendar():
    calendar = parse(feed_ics([], name="Agenda"))
    assert calendar.events == []
    assert calendar.refresh_interval == timedelta(hours=1)


def test_a_feed_needs_a_positive_refresh_interval():
    with pytest.raises(ValueError):
        feed_ics([EVENT], name="Agenda", refresh_minutes=0)
