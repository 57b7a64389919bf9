"""iCalendar (RFC 5545) files for follow-up appointments: one event to download or to send as
an invitation, and a feed an advisor or a relay subscribes to.

Pure functions of plain data, built with the `icalendar` library, which escapes text (commas,
semicolons, newlines) and folds long lines. The caller writes every text (summary, description,
location): a calendar file leaves the application for phones and mail servers, so this module
adds nothing of its own about anyone.

Times are written in UTC ("Z"): every client agrees on them without a VTIMEZONE block, and each
shows them in its user's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vCalAddress, vDuration

PRODID = "-//equipbank//Banque du Numérique//FR"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
FEED_TIMEZONE = "Europe/Paris"
REMINDER_BEFORE = timedelta(hours=1)


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable across updates, e.g. "appointment-42@equipbank": see `appointment_uid`
    sequence: int  # increases with each change of the same event
    starts_at: datetime  # timezone-aware
    duration_minutes: int
    summary: str
    description: str = ""
    location: str = ""
    url: str | None = None
    organizer_name: str | None = None
    organizer_email: str | None = None
    cancelled: bool = False
    updated_at: datetime | None = None  # DTSTAMP and LAST-MODIFIED; now (UTC) when None
    # Who is invited: RFC 5546 wants at least one in a REQUEST (the mail's recipient).
    attendees: tuple[Attendee, ...] = ()


def appointment_uid(appointment_id: int, domain: str = "equipbank") -> str:
    """The UID of an appointment's event: the same in every file, so that a client updates
    (or removes) the event it already has instead of adding a second one."""
    return f"appointment-{appointment_id}@{domain}"


def event_ics(event: CalendarEvent, *, method: str = "PUBLISH") -> bytes:
    """One event in one calendar: "PUBLISH" for a download, "REQUEST" for an invitation sent
    by mail, "CANCEL" to withdraw it (the event is then cancelled whatever `event.cancelled`).

    An invitation or a cancellation comes from someone (RFC 5546 §3.2): without an organizer's
    email, clients discard it or show it as a broken attachment, so it is refused here.
    """
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}, expected one of {METHODS}")
    if method != "PUBLISH" and not event.organizer_email:
        raise ValueError(f"a {method} needs the organizer's email")
    calendar = _calendar()
    calendar.add("METHOD", method)
    cancelled = event.cancelled or method == "CANCEL"
    calendar.add_component(_event(event, cancelled=cancelled))
    return calendar.to_ical()


def feed_ics(events: Iterable[CalendarEvent], *, name: str, refresh_minutes: int = 60) -> bytes:
    """A calendar to subscribe to, re-read by clients every `refresh_minutes`.

    Cancelled events stay in it with STATUS:CANCELLED: a subscribed client then removes (or
    strikes out) the event it had, which it cannot do for an event that just disappears.
    """
    if refresh_minutes <= 0:
        raise ValueError("refresh_minutes must be positive")
    refresh = timedelta(minutes=refresh_minutes)
    calendar = _calendar()
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    # The zone the client shows the feed in; the times themselves are in UTC.
    calendar.add("X-WR-TIMEZONE", FEED_TIMEZONE)
    # RFC 7986 gives REFRESH-INTERVAL no default value type: VALUE=DURATION is required.
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    # The same, for clients that predate RFC 7986 (Outlook).
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    for event in events:
        calendar.add_component(_event(event, cancelled=event.cancelled))
    return calendar.to_ical()


def _calendar() -> Calendar:
    """A VCALENDAR with only what this module means to say: `Calendar.new` would add a random
    UID, making two renderings of the same data differ."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    return calendar


def _event(event: CalendarEvent, *, cancelled: bool) -> Event:
    if event.duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    start = _utc(event.starts_at, "starts_at")
    stamp = _utc(event.updated_at, "updated_at") if event.updated_at else _now()
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", stamp)
    vevent.add("LAST-MODIFIED", stamp)
    vevent.add("DTSTART", start)
    vevent.add("DTEND", start + timedelta(minutes=event.duration_minutes))
    vevent.add("SUMMARY", event.summary)
    if event.description:
        vevent.add("DESCRIPTION", event.description)
    if event.location:
        vevent.add("LOCATION", event.location)
    if event.url:
        vevent.add("URL", event.url)
    if event.organizer_email:
        vevent.add("ORGANIZER", _address(event.organizer_email, event.organizer_name))
    for attendee in event.attendees:
        vevent.add("ATTENDEE", _address(attendee.email, attendee.name))
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        vevent.add_component(_reminder(event.summary))
    return vevent


def _address(email: str, name: str | None) -> vCalAddress:
    """An ORGANIZER or ATTENDEE is a mail address, the name only its label (CN): without an
    email there is nothing to write."""
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _reminder(summary: str) -> Alarm:
    """A notification an hour before; a DISPLAY alarm must carry a text (RFC 5545 §3.6.6)."""
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", summary)
    alarm.add("TRIGGER", -REMINDER_BEFORE)
    return alarm


def _utc(moment: datetime, name: str) -> datetime:
    """A naive time would be read in each client's own zone, so it is refused, not guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
