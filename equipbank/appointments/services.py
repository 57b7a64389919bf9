"""Follow-up appointments with a conseiller numérique: scheduling, the agenda, outcomes,
rescheduling, and the private calendar feed.

A handover always schedules the first one (`schedule`, in the handover's transaction). A new
appointment after a no-show, or a moved one, is a new row linked to the previous one
(`rescheduled_from`): the chain is the history of the accompaniment.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from equipbank import jobs, transaction
from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.auth.models import User
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import PARIS, today, utcnow
from equipbank.codes import AppointmentStatus, Autonomy, LocationType, NextStep, Role, Topic
from equipbank.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.status_machine import Move, StatusMachine
from equipbank.urls import external_url

MAX_DURATION_MINUTES = 8 * 60
CANCELLED = (AppointmentStatus.CANCELLED_BY_BENEFICIARY, AppointmentStatus.CANCELLED_BY_SERVICE)
OUTCOMES = frozenset({AppointmentStatus.DONE, AppointmentStatus.NO_SHOW, *CANCELLED})
# An appointment gets its outcome, which can be corrected later (a no-show was in fact a
# cancellation); moving it is cancelling it (`reschedule`).
MACHINE = StatusMachine(
    AppointmentStatus,
    [Move(frozenset({AppointmentStatus.SCHEDULED, *OUTCOMES}), outcome) for outcome in OUTCOMES],
    describe=lambda appointment: "Ce rendez-vous",
)
MAX_OUTCOME_MINUTES = 8 * 60
# How far ahead an appointment may be set: beyond, it is a typo in the year.
MAX_AHEAD = timedelta(days=366)


@dataclass
class FollowupData:
    advisor_id: int | None
    starts_at: datetime | None
    location_type: str
    place: str | None = None
    duration_minutes: int = 60


def active_advisors() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .options(joinedload(User.organisation))
            .where(User.role == Role.ADVISOR, User.active.is_(True))
            .order_by(User.name)
        )
    )


def check_followup(data: FollowupData, *, prefix: str = "followup.") -> User:
    """The advisor of a valid follow-up; ValidationFailed naming each wrong field otherwise."""
    errors: dict[str, list[str]] = {}
    advisor = db.session.get(User, data.advisor_id) if data.advisor_id else None
    if advisor is None or advisor.role != Role.ADVISOR or not advisor.is_active:
        errors[f"{prefix}advisor"] = ["Choisissez un conseiller numérique actif."]
    now = utcnow()
    if data.starts_at is None:
        errors[f"{prefix}starts_at"] = ["Indiquez la date et l'heure du rendez-vous."]
    elif data.starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    elif data.starts_at <= now:
        errors[f"{prefix}starts_at"] = ["Le rendez-vous de suivi doit être dans le futur."]
    elif data.starts_at > now + MAX_AHEAD:
        errors[f"{prefix}starts_at"] = ["Le rendez-vous est dans plus d'un an : vérifiez l'année."]
    if data.location_type not in LocationType.codes():
        errors[f"{prefix}location_type"] = ["Lieu inconnu."]
    if (
        not isinstance(data.duration_minutes, int)
        or not 15 <= data.duration_minutes <= MAX_DURATION_MINUTES
    ):
        errors[f"{prefix}duration_minutes"] = ["Entre 15 minutes et 8 heures."]
    if data.place and len(data.place) > 300:
        errors[f"{prefix}place"] = ["300 caractères au plus."]
    if errors:
        raise ValidationFailed("Le rendez-vous de suivi est incomplet ou invalide.", fields=errors)
    assert advisor is not None  # a missing advisor is one of the errors above
    return advisor


def schedule(
    data: FollowupData, *, beneficiary, actor: User, handover=None, allow_overlap: bool = False
) -> Appointment:
    """A new appointment: the follow-up checked, and the advisor's slot free unless
    `allow_overlap` (then nothing is left to check: `record_handover` claims the slot earlier
    for its warnings)."""
    advisor = check_followup(data)
    if not allow_overlap:
        claim_slot(data, allow_overlap=False)
    starts_at = data.starts_at
    assert starts_at is not None  # check_followup refused a missing one
    appointment = Appointment(
        handover=handover,
        beneficiary=beneficiary,
        advisor=advisor,
        starts_at=starts_at.replace(second=0, microsecond=0),  # to the minute, as calendars show it
        duration_minutes=data.duration_minutes,
        location_type=data.location_type,
        place=(data.place or "").strip() or None,
        created_by_id=actor.id,
    )
    MACHINE.write(appointment, AppointmentStatus.SCHEDULED)
    db.session.add(appointment)
    audit.record(
        "appointment.schedule",
        appointment,
        actor=actor,
        summary={"advisor_id": advisor.id, "starts_at": starts_at.isoformat()},
    )
    return appointment


def calendar_event(
    appointment: Appointment,
    *,
    for_beneficiary: bool = False,
    organizer_email: str | None = None,
    attendee=None,
):
    """The appointment as a calendar event. For the beneficiary: who they meet and where; for
    the advisor's calendar: the device and a link to the appointment page, no personal data."""
    from equipbank.appointments import calendar

    place = ", ".join(
        part for part in (LocationType(appointment.location_type).label, appointment.place) if part
    )
    if for_beneficiary:
        summary = f"Rendez-vous avec {appointment.advisor.name}, conseiller numérique"
        description = "Accompagnement à la prise en main de votre équipement."
    else:
        tag = appointment.handover.device.tag if appointment.handover else None
        summary = f"Suivi {tag}" if tag else "Rendez-vous de suivi"
        page = external_url("appointments.detail", appointment_id=appointment.id)
        description = f"Rendez-vous de suivi : {page}"
    return calendar.CalendarEvent(
        uid=calendar.appointment_uid(appointment.id),
        sequence=appointment.calendar_sequence,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        summary=summary,
        description=description,
        location=place,
        organizer_name=current_app.config["MAIL_FROM_NAME"],
        organizer_email=organizer_email,
        attendees=(attendee,) if attendee else (),
        cancelled=appointment.status in CANCELLED,
        updated_at=appointment.updated_at,
    )


def appointment_ics(appointment: Appointment, *, for_beneficiary: bool = False) -> bytes:
    """A download: PUBLISH, with STATUS:CANCELLED when the appointment is cancelled."""
    from equipbank.appointments import calendar

    return calendar.event_ics(calendar_event(appointment, for_beneficiary=for_beneficiary))


# Who sees which appointment ------------------------------------------------------------------


def visible_appointments(viewer: User) -> sa.Select:
    """An advisor's own appointments; a relay's, for the people it equipped; all for staff."""
    from equipbank.handovers.models import Handover

    # The API shows each appointment's device tag.
    query = sa.select(Appointment).options(
        joinedload(Appointment.handover).joinedload(Handover.device)
    )
    if viewer.role == Role.STAFF:
        return query
    if viewer.role == Role.ADVISOR:
        return query.where(Appointment.advisor_id == viewer.id)
    if viewer.role == Role.RELAY:
        return query.join(Beneficiary, Appointment.beneficiary_id == Beneficiary.id).where(
            Beneficiary.relay_id == viewer.organisation_id
        )
    return query.where(sa.false())


def get_appointment(appointment_id: int, *, viewer: User) -> Appointment:
    """The appointment if `viewer` may see it; NotFound otherwise (never a hint it exists)."""
    appointment = db.session.scalar(
        visible_appointments(viewer).where(Appointment.id == appointment_id)
    )
    if appointment is None:
        raise NotFound("Rendez-vous introuvable.")
    return appointment


def can_record_outcome(viewer: User, appointment: Appointment) -> bool:
    return viewer.role == Role.STAFF or (
        viewer.role == Role.ADVISOR and appointment.advisor_id == viewer.id
    )


# The advisor's agenda ------------------------------------------------------------------------


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


@dataclass
class Agenda:
    today: list[Appointment] = field(default_factory=list)
    this_week: list[Appointment] = field(default_factory=list)
    later: list[Appointment] = field(default_factory=list)
    to_fill: list[Appointment] = field(default_factory=list)


def to_fill(advisor: User) -> sa.Select:
    """Past appointments with no outcome yet: the advisor's "À renseigner" queue."""
    return (
        sa.select(Appointment)
        .options(joinedload(Appointment.beneficiary))  # named on each row
        .where(
            Appointment.advisor_id == advisor.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at < utcnow(),
        )
        .order_by(Appointment.starts_at)
    )


def to_fill_count(advisor: User) -> int:
    return db.session.scalars(
        sa.select(sa.func.count()).select_from(to_fill(advisor).subquery())
    ).one()


def agenda(advisor: User, *, horizon_days: int = 60) -> Agenda:
    """What is left today, the rest of the week, the next weeks; and what to fill in (every
    past appointment without an outcome, the same count as the navigation's)."""
    now, day = utcnow(), today()
    tomorrow = _paris_midnight(day + timedelta(days=1))
    next_monday = _paris_midnight(day + timedelta(days=7 - day.weekday()))
    upcoming = db.session.scalars(
        sa.select(Appointment)
        .options(joinedload(Appointment.beneficiary))
        .where(
            Appointment.advisor_id == advisor.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at >= now,
            Appointment.starts_at < now + timedelta(days=horizon_days),
        )
        .order_by(Appointment.starts_at)
    ).all()
    result = Agenda(to_fill=list(db.session.scalars(to_fill(advisor))))
    for appointment in upcoming:
        if appointment.starts_at < tomorrow:
            result.today.append(appointment)
        elif appointment.starts_at < next_monday:
            result.this_week.append(appointment)
        else:
            result.later.append(appointment)
    return result


def overlapping(
    advisor_id: int, starts_at: datetime, duration_minutes: int, *, exclude_id: int | None = None
) -> list[Appointment]:
    """The advisor's active (scheduled) appointments that overlap this slot, first first."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    candidates = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.advisor_id == advisor_id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.id != (exclude_id or 0),
            Appointment.starts_at < ends_at,
            Appointment.starts_at > starts_at - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .order_by(Appointment.starts_at)
    )
    return [a for a in candidates if ends_of(a) > starts_at]


def ends_of(appointment: Appointment) -> datetime:
    return appointment.starts_at + timedelta(minutes=appointment.duration_minutes)


class AdvisorOverlap(Conflict):
    """The advisor has another appointment in the slot. Not a hard rule (a workshop may take
    several people at once), so it is booked once the person confirms (`allow_overlap`)."""

    code = "advisor_overlap"

    def __init__(self, overlaps: list[Appointment]):
        message = overlap_message(overlaps)
        super().__init__(message, fields={"allow_overlap": [message]})
        self.overlaps = overlaps


def _lock_agenda(advisor_id: int) -> None:
    """Lock the advisor's row until the commit (PostgreSQL): two bookings of one advisor at
    the same moment wait for each other, and the second sees the first's appointment.
    NO KEY UPDATE, so rows that merely refer to the advisor are not held up."""
    db.session.execute(
        sa.select(User.id).where(User.id == advisor_id).with_for_update(key_share=True)
    )


def claim_slot(data: FollowupData, *, allow_overlap: bool) -> list[str]:
    """Check the advisor's slot, their agenda locked for this transaction. Another active
    appointment in it is refused (`AdvisorOverlap`) unless `allow_overlap`; allowed, it comes
    back as the warning to show. A follow-up without an advisor or a bookable time is left to
    `check_followup`."""
    if not (data.advisor_id and data.starts_at) or data.starts_at > utcnow() + MAX_AHEAD:
        return []
    _lock_agenda(data.advisor_id)
    overlaps = overlapping(
        data.advisor_id, data.starts_at.replace(second=0, microsecond=0), data.duration_minutes
    )
    if overlaps and not allow_overlap:
        raise AdvisorOverlap(overlaps)
    return [overlap_message(overlaps)] if overlaps else []


def overlap_message(overlaps: list[Appointment]) -> str:
    first = overlaps[0]
    starts, ends = first.starts_at.astimezone(PARIS), ends_of(first).astimezone(PARIS)
    others = f" (et {len(overlaps) - 1} autre(s))" if len(overlaps) > 1 else ""
    return (
        f"{first.advisor.name} a déjà un rendez-vous le {starts:%d/%m/%Y} de {starts:%H:%M} "
        f"à {ends:%H:%M}{others} sur ce créneau."
    )


# An advisor's day, for whoever books them ------------------------------------------------

# The hours (Paris time) within which an advisor's free times are offered.
WORKING_HOURS = (time(9), time(18))
# Free times start on the quarter hour.
SLOT_STEP_MINUTES = 15


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    location_type: str | None = None  # a booked slot's kind of place


@dataclass(frozen=True)
class AdvisorDay:
    advisor: User
    day: date
    booked: list[Slot]
    free: list[Slot]  # each at least `duration_minutes` long
    duration_minutes: int
    opens: datetime
    closes: datetime


def bookable_advisor(advisor_id: int | None) -> User:
    """An active advisor, whom a relay may book; NotFound otherwise."""
    advisor = db.session.get(User, advisor_id) if advisor_id else None
    if advisor is None or advisor.role != Role.ADVISOR or not advisor.is_active:
        raise NotFound("Conseiller introuvable.")
    return advisor


def advisor_day(advisor: User, day: date, *, duration_minutes: int = 60) -> AdvisorDay:
    """The advisor's active appointments of `day` (their times and kind of place only: every
    relay booking the advisor sees them), and the free times within `WORKING_HOURS` long
    enough for `duration_minutes`, none in the past."""
    midnight = _paris_midnight(day)
    next_midnight = _paris_midnight(day + timedelta(days=1))
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.advisor_id == advisor.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at < next_midnight,
            Appointment.starts_at > midnight - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .order_by(Appointment.starts_at)
    )
    booked = [
        Slot(a.starts_at, ends_of(a), a.location_type)
        for a in appointments
        if ends_of(a) > midnight
    ]
    opens = datetime.combine(day, WORKING_HOURS[0], tzinfo=PARIS)
    closes = datetime.combine(day, WORKING_HOURS[1], tzinfo=PARIS)
    cursor = max(opens, _next_step(utcnow()))
    length = timedelta(minutes=duration_minutes)
    free = []
    for slot in [*booked, Slot(closes, closes)]:
        gap_ends = min(slot.starts_at, closes)
        if gap_ends - cursor >= length:
            free.append(Slot(cursor, gap_ends))
        cursor = max(cursor, _next_step(slot.ends_at))
    return AdvisorDay(advisor, day, booked, free, duration_minutes, opens, closes)


def _next_step(moment: datetime) -> datetime:
    """`moment` rounded up to the quarter hour, in Paris time."""
    moment = moment.astimezone(PARIS)
    floor = moment.replace(
        minute=moment.minute - moment.minute % SLOT_STEP_MINUTES, second=0, microsecond=0
    )
    return floor if floor == moment else floor + timedelta(minutes=SLOT_STEP_MINUTES)


# Outcomes and rescheduling -----------------------------------------------------------------


@dataclass
class OutcomeData:
    status: str
    duration_minutes: int | None = None
    topics: list[str] = field(default_factory=list)
    autonomy: str | None = None
    confidence: int | None = None
    next_step: str | None = None
    # When the session took place (done only); None: as recorded before, else as planned.
    held_at: datetime | None = None


def when_held(appointment: Appointment, data: OutcomeData) -> datetime:
    """When a session that took place was held: as said, else as recorded before (a
    correction keeps it), else the planned time; to the minute, as the agenda shows it."""
    moment = data.held_at or appointment.held_at or appointment.starts_at
    if moment.tzinfo is None:
        raise ValueError("held_at must be timezone-aware")
    return moment.replace(second=0, microsecond=0)


def _check_held_at(appointment: Appointment, data: OutcomeData) -> None:
    """A session is recorded when it took place, which may be earlier than planned (the
    person came early) but not in the future."""
    moment = when_held(appointment, data)
    if moment > utcnow():
        if data.held_at is None:  # the planned time, still to come
            planned = appointment.starts_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
            message = (
                f"Ce rendez-vous est prévu le {planned} : si la séance a déjà eu lieu, "
                "indiquez quand elle s'est tenue."
            )
        else:
            message = (
                "La séance ne peut pas avoir eu lieu dans le futur : "
                "indiquez quand elle s'est tenue."
            )
    elif moment < appointment.starts_at - MAX_AHEAD:
        message = "La séance serait plus d'un an avant le rendez-vous prévu : vérifiez l'année."
    else:
        return
    raise ValidationFailed(message, fields={"held_at": [message]})


def _check_outcome(appointment: Appointment, data: OutcomeData) -> None:
    errors: dict[str, list[str]] = {}
    if data.status not in AppointmentStatus.codes() or data.status == AppointmentStatus.SCHEDULED:
        raise ValidationFailed(
            "Choisissez ce qui s'est passé.", fields={"status": ["Issue inconnue."]}
        )
    if data.status == AppointmentStatus.NO_SHOW and appointment.starts_at > utcnow():
        raise ValidationFailed(
            "Ce rendez-vous n'a pas encore eu lieu : seule une annulation peut être enregistrée.",
            fields={"status": ["Le rendez-vous est à venir."]},
        )
    if data.status == AppointmentStatus.DONE:
        _check_held_at(appointment, data)
        if (
            not isinstance(data.duration_minutes, int)
            or not 1 <= data.duration_minutes <= MAX_OUTCOME_MINUTES
        ):
            errors["duration_minutes"] = ["Indiquez la durée, en minutes (1 à 480)."]
        if not data.topics:
            errors["topics"] = ["Cochez au moins un thème abordé."]
        elif not set(data.topics) <= set(Topic.codes()):
            errors["topics"] = ["Thème inconnu."]
        if data.autonomy not in Autonomy.codes():
            errors["autonomy"] = ["Choisissez le niveau d'autonomie."]
        if not isinstance(data.confidence, int) or not 1 <= data.confidence <= 4:
            errors["confidence"] = ["Une note de 1 à 4."]
        if data.next_step and data.next_step not in NextStep.codes():
            errors["next_step"] = ["Suite inconnue."]
    if errors:
        raise ValidationFailed("Le bilan est incomplet.", fields=errors)


def record_outcome(appointment: Appointment, data: OutcomeData, *, actor: User) -> Appointment:
    """What happened: done (with the session's content), no-show, or cancelled. It can be
    corrected later; a cancellation is sent to the calendars (the caller queues it)."""
    if not can_record_outcome(actor, appointment):
        raise NotFound("Rendez-vous introuvable.")
    if successor(appointment) is not None:
        raise InvalidTransition(
            "Ce rendez-vous a été remplacé par un autre : renseignez le nouveau."
        )
    _check_outcome(appointment, data)
    was, _ = MACHINE.check(appointment, data.status)
    done = data.status == AppointmentStatus.DONE
    MACHINE.write(appointment, AppointmentStatus(data.status))
    appointment.held_at = when_held(appointment, data) if done else None
    appointment.outcome_duration_minutes = data.duration_minutes if done else None
    appointment.topics = sorted(set(data.topics)) if done else []
    appointment.autonomy = data.autonomy if done else None
    appointment.confidence = data.confidence if done else None
    appointment.next_step = (data.next_step or None) if done else None
    appointment.outcome_recorded_at, appointment.outcome_recorded_by_id = utcnow(), actor.id
    if data.status in CANCELLED and was not in CANCELLED:
        appointment.calendar_sequence += 1
    summary = {"from": was, "to": data.status}
    if appointment.held_at is not None:
        summary["held_at"] = appointment.held_at.isoformat()
    audit.record("appointment.outcome", appointment, actor=actor, summary=summary)
    if appointment.status in CANCELLED:
        _send_cancellations(actor)
    return appointment


def _send_cancellations(actor: User) -> None:
    """The cancellation notices go out once it is saved. A queue down loses nothing: the
    periodic sweep sends every notice still due."""
    from equipbank.appointments.tasks import notify

    transaction.after_commit(jobs.enqueue, notify, owner=actor, description="Envoi des annulations")


def reschedule(
    appointment: Appointment,
    data: FollowupData,
    *,
    actor: User,
    previous_status: str | None = None,
    allow_overlap: bool = False,
) -> Appointment:
    """A new appointment that continues this one (after a no-show, or to move it). A moved
    appointment is closed as cancelled (by the beneficiary or the service), so its own slot
    is free for the new one; another appointment of the advisor then needs `allow_overlap`."""
    if not (can_record_outcome(actor, appointment) or _relay_owns(actor, appointment)):
        raise NotFound("Rendez-vous introuvable.")
    if successor(appointment) is not None:
        raise InvalidTransition("Ce rendez-vous a déjà un rendez-vous suivant.")
    if appointment.status == AppointmentStatus.SCHEDULED:
        if data.starts_at is not None and data.starts_at <= utcnow():
            # What a person tries when the session took place earlier than planned.
            raise ValidationFailed(
                "Un rendez-vous ne se déplace pas dans le passé : si la séance a déjà eu lieu, "
                "enregistrez son bilan en indiquant quand elle s'est tenue.",
                fields={"followup.starts_at": ["Date passée : renseignez plutôt le bilan."]},
            )
        if previous_status not in CANCELLED:
            raise ValidationFailed(
                "Indiquez qui reporte le rendez-vous.",
                fields={"previous_status": ["Le bénéficiaire ou le service."]},
            )
        MACHINE.check(appointment, previous_status)
        MACHINE.write(appointment, AppointmentStatus(previous_status))
        appointment.calendar_sequence += 1
        appointment.outcome_recorded_at, appointment.outcome_recorded_by_id = utcnow(), actor.id
    new = schedule(
        data,
        beneficiary=appointment.beneficiary,
        actor=actor,
        handover=appointment.handover,
        allow_overlap=allow_overlap,
    )
    new.rescheduled_from = appointment
    db.session.flush()
    audit.record("appointment.reschedule", appointment, actor=actor, summary={"next": new.id})
    if appointment.status in CANCELLED:
        _send_cancellations(actor)
    return new


def _relay_owns(viewer: User, appointment: Appointment) -> bool:
    return viewer.role == Role.RELAY and appointment.beneficiary.relay_id == viewer.organisation_id


def successor(appointment: Appointment) -> Appointment | None:
    """The appointment that continues this one, if any."""
    return db.session.scalar(
        sa.select(Appointment).where(Appointment.rescheduled_from_id == appointment.id)
    )


def chain(appointment: Appointment) -> list[Appointment]:
    """Every appointment of this accompaniment, first to last."""
    first = appointment
    while first.rescheduled_from is not None:
        first = first.rescheduled_from
    appointments = [first]
    while (following := successor(appointments[-1])) is not None:
        appointments.append(following)
    return appointments


# What relays follow ------------------------------------------------------------------------


def latest_by_handover(handover_ids) -> dict[int, Appointment]:
    """The last appointment of each handover's chain (a later one always has a larger id)."""
    handover_ids = list(handover_ids)
    if not handover_ids:
        return {}
    latest = (
        sa.select(sa.func.max(Appointment.id))
        .where(Appointment.handover_id.in_(handover_ids))
        .group_by(Appointment.handover_id)
    )
    found = db.session.scalars(sa.select(Appointment).where(Appointment.id.in_(latest)))
    # No None key: each one belongs to one of `handover_ids`.
    return cast(dict[int, Appointment], {a.handover_id: a for a in found})


def is_overdue(appointment: Appointment | None) -> bool:
    """A follow-up that should have happened: past and not filled in, or missed and not set
    again."""
    if appointment is None:
        return False
    past_and_open = (
        appointment.status == AppointmentStatus.SCHEDULED and appointment.starts_at < utcnow()
    )
    return past_and_open or appointment.status in (AppointmentStatus.NO_SHOW, *CANCELLED)


def overdue_followups(relay_id: int) -> list[Appointment]:
    """The relay's handovers whose follow-up is overdue: what to chase with the person."""
    from equipbank.handovers.models import Handover

    handover_ids = db.session.scalars(
        sa.select(Handover.id).where(Handover.relay_id == relay_id, Handover.returned_at.is_(None))
    ).all()
    late = [a for a in latest_by_handover(handover_ids).values() if is_overdue(a)]
    return sorted(late, key=lambda appointment: appointment.starts_at)


# The advisor's calendar feed -----------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_calendar_token(advisor: User, *, actor: User) -> str:
    """A new secret feed address for the advisor; the previous one stops working. Only its
    digest is kept: the address is shown once."""
    token = secrets.token_urlsafe(24)
    advisor.calendar_token_hash = _digest(token)
    audit.record("user.calendar_token", advisor, actor=actor)
    return token


def advisor_from_calendar_token(token: str):
    advisor = db.session.scalar(sa.select(User).where(User.calendar_token_hash == _digest(token)))
    return (
        advisor
        if advisor is not None and advisor.is_active and advisor.role == Role.ADVISOR
        else None
    )


def feed_ics(advisor: User) -> bytes:
    """The advisor's appointments from a month ago to six months ahead, cancelled ones kept
    (so subscribed calendars remove them), without any personal data."""
    from equipbank.appointments import calendar

    now = utcnow()
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.advisor_id == advisor.id,
            Appointment.starts_at >= now - timedelta(days=31),
            Appointment.starts_at <= now + timedelta(days=183),
        )
        .order_by(Appointment.starts_at)
    )
    events = [calendar_event(appointment) for appointment in appointments]
    return calendar.feed_ics(events, name=f"Suivis equipbank · {advisor.name}")
