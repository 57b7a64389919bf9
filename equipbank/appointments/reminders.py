"""Reminders, cancellations and daily digests by email, each sent once.

Once-only: a notification is *claimed* before it is sent: a `NotificationReceipt` row unique on
(kind, subject, recipient), inserted and committed first. Whoever loses that race (a second
sweep, a second worker) does not send. After sending, the receipt says `sent` or `failed`.

A crash between sending and recording leaves the claim `pending`; once it is older than
`NOTIFICATION_STALE_MINUTES`, a later sweep takes it again and sends. So a crash can make a
reminder **repeat, never lost**: for a missed follow-up a second reminder costs less than none.

Failed sends (mail server down) are retried until the notice is useless (`Notice.send_before`:
a reminder or a cancellation until its appointment starts, a digest until the end of its day),
each no earlier than `retry_delay(attempts)` after the last attempt (`claimed_at`). A reminder
still unsent when its appointment starts is shown as "rappel non envoyé" (`unsent_reminders`,
`unsent_reminders_count`), never dropped silently.

The functions here flush; the sweep job (`tasks.py`) commits around each notification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from equipbank import mail
from equipbank.appointments import calendar
from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.appointments.services import CANCELLED, calendar_event, to_fill_count
from equipbank.auth.models import User
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import PARIS, utcnow
from equipbank.codes import (
    AppointmentStatus,
    LocationType,
    NotificationKind,
    NotificationResult,
    Role,
)
from equipbank.extensions import db
from equipbank.urls import external_url

K, R = NotificationKind, NotificationResult

# A cancellation recorded up to a day after the appointment's time still clears calendars.
CANCELLATION_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Notice:
    """One notification to send: what, about what, to whom, and the message."""

    kind: str
    subject_key: str
    recipient: str  # "advisor:7", "beneficiary:42"
    appointment_id: int | None
    message: mail.Message
    send_before: datetime  # past this moment the message is useless: no more attempts


# Claiming ------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """The wait after a failed attempt: 2, 4, 8... minutes, at most
    NOTIFICATION_RETRY_MAX_MINUTES, so a mail server down is not hammered by every sweep."""
    cap = current_app.config["NOTIFICATION_RETRY_MAX_MINUTES"]
    return timedelta(minutes=min(2 ** min(attempts, 16), cap))


def claim(notice: Notice, *, retry_now: bool = False) -> NotificationReceipt | None:
    """This sweep's right to send `notice`, or None when it is sent, being sent, waiting for
    its next try, too late to be of use, or a reminder of an appointment no longer planned.

    New: an insert, refused by the unique key if someone else claimed it first. Known: a
    compare-and-set on the attempt count that takes back a failed attempt once its retry delay
    has passed (at once with `retry_now`), or a claim left pending too long.
    """
    now = utcnow()
    if now >= notice.send_before:
        return None
    if notice.kind == K.REMINDER_48H and not _still_scheduled(notice.appointment_id):
        return None  # done early or cancelled since the sweep listed it
    existing = db.session.scalar(
        sa.select(NotificationReceipt).where(
            NotificationReceipt.kind == notice.kind,
            NotificationReceipt.subject_key == notice.subject_key,
            NotificationReceipt.recipient == notice.recipient,
        )
    )
    if existing is None:
        receipt = NotificationReceipt(
            appointment_id=notice.appointment_id,
            kind=notice.kind,
            subject_key=notice.subject_key,
            recipient=notice.recipient,
            claimed_at=now,
            result=R.PENDING,
        )
        try:
            with db.session.begin_nested():
                db.session.add(receipt)
        except IntegrityError:
            return None
        return receipt
    stale = timedelta(minutes=current_app.config["NOTIFICATION_STALE_MINUTES"])
    if existing.result == R.FAILED:
        ready = retry_now or existing.claimed_at + retry_delay(existing.attempts) <= now
    elif existing.result == R.PENDING:
        ready = existing.claimed_at + stale < now
    else:
        ready = False
    if not ready:
        return None
    # An UPDATE's result is a CursorResult, which has the row count; execute() says Result.
    # The attempt count is the version: whoever took it first raised it, the others miss.
    taken = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(NotificationReceipt)
            .where(
                NotificationReceipt.id == existing.id,
                NotificationReceipt.attempts == existing.attempts,
                NotificationReceipt.result == existing.result,
            )
            .values(result=R.PENDING, claimed_at=now, attempts=NotificationReceipt.attempts + 1)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if taken != 1:
        return None
    db.session.refresh(existing)
    return existing


def _still_scheduled(appointment_id: int | None) -> bool:
    """Read from the database, not from the sweep's session, which listed it earlier."""
    status = db.session.scalar(
        sa.select(Appointment.status).where(Appointment.id == appointment_id)
    )
    return status == AppointmentStatus.SCHEDULED


def record(receipt: NotificationReceipt, *, error: str | None) -> None:
    receipt.result = R.FAILED if error else R.SENT
    receipt.error = error
    receipt.sent_at = None if error else utcnow()


# What is due ---------------------------------------------------------------------------------


def due_reminders(now: datetime | None = None) -> list[Notice]:
    """Reminders of the appointments starting within the next 48 hours, to the advisor and,
    when they gave an email and agreed, to the beneficiary."""
    now = now or utcnow()
    horizon = now + timedelta(hours=current_app.config["REMINDER_HOURS_BEFORE"])
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at > now,
            Appointment.starts_at <= horizon,
        )
        .order_by(Appointment.starts_at)
    )
    notices = []
    for appointment in appointments:
        notices.append(_advisor_notice(appointment, K.REMINDER_48H))
        beneficiary_notice = _beneficiary_notice(appointment, K.REMINDER_48H)
        if beneficiary_notice:
            notices.append(beneficiary_notice)
    return notices


def due_cancellations(now: datetime | None = None) -> list[Notice]:
    """A cancelled appointment whose reminder went out: its calendar copies are cancelled."""
    now = now or utcnow()
    reminded = sa.select(NotificationReceipt.appointment_id).where(
        NotificationReceipt.kind == K.REMINDER_48H, NotificationReceipt.result == R.SENT
    )
    appointments = db.session.scalars(
        sa.select(Appointment).where(
            Appointment.status.in_(CANCELLED),
            Appointment.starts_at > now - CANCELLATION_WINDOW,
            Appointment.id.in_(reminded),
        )
    )
    notices = []
    for appointment in appointments:
        sent_to = set(
            db.session.scalars(
                sa.select(NotificationReceipt.recipient).where(
                    NotificationReceipt.appointment_id == appointment.id,
                    NotificationReceipt.kind == K.REMINDER_48H,
                    NotificationReceipt.result == R.SENT,
                )
            )
        )
        for notice in (
            _advisor_notice(appointment, K.CANCELLATION),
            _beneficiary_notice(appointment, K.CANCELLATION),
        ):
            if notice is not None and notice.recipient in sent_to:
                notices.append(notice)
    return notices


def due_digests(now: datetime | None = None) -> list[Notice]:
    """Each morning (from DIGEST_HOUR, Paris time), each advisor's day and "À renseigner"
    count; nothing for an advisor with neither."""
    now = now or utcnow()
    local = now.astimezone(PARIS)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return []
    day = local.date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=PARIS)
    notices = []
    for advisor in db.session.scalars(
        sa.select(User).where(User.role == Role.ADVISOR, User.active.is_(True))
    ):
        todays = db.session.scalars(
            sa.select(Appointment)
            .where(
                Appointment.advisor_id == advisor.id,
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at >= start,
                Appointment.starts_at < start + timedelta(days=1),
            )
            .order_by(Appointment.starts_at)
        ).all()
        pending = to_fill_count(advisor)
        if todays or pending:
            notices.append(
                Notice(
                    K.DAILY_DIGEST,
                    f"digest:{day.isoformat()}",
                    f"advisor:{advisor.id}",
                    None,
                    _digest(advisor, todays, pending, day),
                    send_before=start + timedelta(days=1),
                )
            )
    return notices


# Reminders not sent in time -----------------------------------------------------------------

RECIPIENT_LABELS = {"advisor": "au conseiller", "beneficiary": "à la personne"}


def _unsent_reminders(now: datetime) -> sa.Select:
    """Reminders not sent when their appointment started (failed to the end, or a claim left
    pending); a cancelled appointment's reminder no longer matters."""
    return (
        sa.select(NotificationReceipt.appointment_id, NotificationReceipt.recipient)
        .join(Appointment, Appointment.id == NotificationReceipt.appointment_id)
        .where(
            NotificationReceipt.kind == K.REMINDER_48H,
            NotificationReceipt.result != R.SENT,
            Appointment.starts_at <= now,
            Appointment.status.not_in(CANCELLED),
        )
    )


def unsent_reminders(appointments: Sequence[Appointment]) -> dict[int, list[str]]:
    """The "rappel non envoyé": for each of `appointments` whose reminder missed its time,
    to whom ("au conseiller", "à la personne"). One query for a whole list."""
    ids = [appointment.id for appointment in appointments]
    if not ids:
        return {}
    rows = db.session.execute(
        _unsent_reminders(utcnow())
        .where(NotificationReceipt.appointment_id.in_(ids))
        .order_by(NotificationReceipt.recipient)
    )
    unsent: dict[int, list[str]] = {}
    for appointment_id, recipient in rows:
        unsent.setdefault(appointment_id, []).append(RECIPIENT_LABELS[recipient.split(":")[0]])
    return unsent


def unsent_reminders_count(days: int = 7) -> int:
    """Reminders not sent in time for the appointments of the last `days` days: shown on the
    staff home, reported by the health check."""
    now = utcnow()
    recent = _unsent_reminders(now).where(Appointment.starts_at > now - timedelta(days=days))
    return db.session.scalars(sa.select(sa.func.count()).select_from(recent.subquery())).one()


# The messages --------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    from equipbank.handovers.receipt import french_datetime

    return french_datetime(moment)


def _where(appointment: Appointment) -> str:
    return ", ".join(
        part for part in (LocationType(appointment.location_type).label, appointment.place) if part
    )


def _ics(
    appointment: Appointment, email: str, *, for_beneficiary: bool, cancel: bool
) -> mail.Attachment:
    method = "CANCEL" if cancel else "REQUEST"
    event = calendar_event(
        appointment,
        for_beneficiary=for_beneficiary,
        organizer_email=current_app.config["MAIL_FROM"],
        attendee=calendar.Attendee(email),
    )
    return mail.Attachment(
        "rendez-vous.ics",
        f"text/calendar; method={method}",
        calendar.event_ics(event, method=method),
    )


def _send_before(appointment: Appointment, kind: str) -> datetime:
    """A reminder is of use until the appointment starts; a cancellation as long as it is due."""
    if kind == K.CANCELLATION:
        return appointment.starts_at + CANCELLATION_WINDOW
    return appointment.starts_at


def _advisor_notice(appointment: Appointment, kind: str) -> Notice:
    advisor, person = appointment.advisor, appointment.beneficiary
    if person.anonymised_at is None:
        assert person.last_name is not None  # the names_until_anonymised constraint
        who = f"{person.first_name} {person.last_name[:1]}."
    else:
        who = "une personne accompagnée"
    relay = person.relay.name
    link = external_url("appointments.detail", appointment_id=appointment.id)
    cancel = kind == K.CANCELLATION
    if cancel:
        subject = f"Annulé : rendez-vous de suivi du {_when(appointment.starts_at)}"
        text = f"Bonjour {advisor.name},\n\nLe rendez-vous de suivi avec {who} ({relay}) du {_when(appointment.starts_at)} est annulé.\n\n{link}\n"
    else:
        subject = f"Rappel : rendez-vous de suivi le {_when(appointment.starts_at)}"
        text = (
            f"Bonjour {advisor.name},\n\nRappel de votre rendez-vous de suivi avec {who}, équipé(e) par {relay} :\n"
            f"{_when(appointment.starts_at)} ({appointment.duration_minutes} min), {_where(appointment)}.\n\n"
            f"Coordonnées et détails, et le bilan à renseigner après la séance :\n{link}\n"
        )
    message = mail.Message(
        advisor.email,
        subject,
        text,
        (_ics(appointment, advisor.email, for_beneficiary=False, cancel=cancel),),
    )
    return Notice(
        kind,
        f"appointment:{appointment.id}",
        f"advisor:{advisor.id}",
        appointment.id,
        message,
        send_before=_send_before(appointment, kind),
    )


def _beneficiary_notice(appointment: Appointment, kind: str) -> Notice | None:
    person: Beneficiary = appointment.beneficiary
    if not (person.email and person.email_reminders and person.anonymised_at is None):
        return None
    cancel = kind == K.CANCELLATION
    relay = person.relay
    if cancel:
        subject = "Votre rendez-vous de suivi est annulé"
        text = (
            f"Bonjour {person.first_name},\n\nVotre rendez-vous avec {appointment.advisor.name}, conseiller numérique, "
            f"du {_when(appointment.starts_at)} est annulé. {relay.name} vous recontacte pour en fixer un autre.\n"
        )
    else:
        subject = f"Rappel : votre rendez-vous le {_when(appointment.starts_at)}"
        text = (
            f"Bonjour {person.first_name},\n\nNous vous rappelons votre rendez-vous avec {appointment.advisor.name}, "
            f"conseiller numérique, pour bien utiliser votre nouvel équipement :\n{_when(appointment.starts_at)}, {_where(appointment)}.\n\n"
            f"En cas d'empêchement, prévenez {relay.name}"
            f"{' au ' + relay.contact_phone if relay.contact_phone else ''}.\n"
        )
    message = mail.Message(
        person.email,
        subject,
        text,
        (_ics(appointment, person.email, for_beneficiary=True, cancel=cancel),),
    )
    return Notice(
        kind,
        f"appointment:{appointment.id}",
        f"beneficiary:{person.id}",
        appointment.id,
        message,
        send_before=_send_before(appointment, kind),
    )


def _digest(advisor: User, todays: Sequence[Appointment], pending: int, day) -> mail.Message:
    lines = [f"Bonjour {advisor.name},", ""]
    if todays:
        lines.append(f"Vos rendez-vous de suivi aujourd'hui ({len(todays)}) :")
        for appointment in todays:
            moment = appointment.starts_at.astimezone(PARIS).strftime("%H:%M")
            lines.append(
                f"- {moment}, {_where(appointment)} ({appointment.beneficiary.relay.name})"
            )
    else:
        lines.append("Aucun rendez-vous de suivi aujourd'hui.")
    if pending:
        lines += ["", f"À renseigner : {pending} rendez-vous passé(s) sans bilan."]
    lines += ["", f"Votre agenda : {external_url('home.advisor')}", ""]
    return mail.Message(advisor.email, f"Votre journée du {day:%d/%m/%Y}", "\n".join(lines))
