"""Follow-up appointments with a conseiller numérique.

A handover always schedules the first one (`schedule`, in the handover's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.auth.models import User
from equipbank.codes import AppointmentStatus, LocationType, Role
from equipbank.db import utcnow
from equipbank.errors import ValidationFailed
from equipbank.extensions import db

MAX_DURATION_MINUTES = 8 * 60
CANCELLED = (AppointmentStatus.CANCELLED_BY_BENEFICIARY, AppointmentStatus.CANCELLED_BY_SERVICE)
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
            sa.select(User).where(User.role == Role.ADVISOR, User.active.is_(True)).order_by(User.name)
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
    if not isinstance(data.duration_minutes, int) or not 15 <= data.duration_minutes <= MAX_DURATION_MINUTES:
        errors[f"{prefix}duration_minutes"] = ["Entre 15 minutes et 8 heures."]
    if data.place and len(data.place) > 300:
        errors[f"{prefix}place"] = ["300 caractères au plus."]
    if errors:
        raise ValidationFailed("Le rendez-vous de suivi est incomplet ou invalide.", fields=errors)
    return advisor


def schedule(data: FollowupData, *, beneficiary, actor, handover=None) -> Appointment:
    advisor = check_followup(data)
    appointment = Appointment(
        handover=handover,
        beneficiary=beneficiary,
        advisor=advisor,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        location_type=data.location_type,
        place=(data.place or "").strip() or None,
        status=AppointmentStatus.SCHEDULED,
        created_by_id=actor.id,
    )
    db.session.add(appointment)
    audit.record(
        "appointment.schedule",
        appointment,
        actor=actor,
        summary={"advisor_id": advisor.id, "starts_at": data.starts_at.isoformat()},
    )
    return appointment


def appointment_ics(appointment: Appointment, base_url: str, *, for_beneficiary: bool = False) -> bytes:
    """The appointment as a calendar file. For the beneficiary: who they meet and where; for
    the advisor's calendar: the device and a link to the appointment page, no personal data."""
    from equipbank.appointments import calendar

    place = ", ".join(part for part in (LocationType(appointment.location_type).label, appointment.place) if part)
    if for_beneficiary:
        summary = f"Rendez-vous avec {appointment.advisor.name}, conseiller numérique"
        description = "Accompagnement à la prise en main de votre équipement."
    else:
        tag = appointment.handover.device.tag if appointment.handover else None
        summary = f"Suivi {tag}" if tag else "Rendez-vous de suivi"
        description = f"Rendez-vous de suivi : {base_url}/rendez-vous/{appointment.id}"
    cancelled = appointment.status in CANCELLED
    event = calendar.CalendarEvent(
        uid=calendar.appointment_uid(appointment.id),
        sequence=appointment.calendar_sequence,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        summary=summary,
        description=description,
        location=place,
        organizer_name=appointment.advisor.name,
        cancelled=cancelled,
        updated_at=appointment.updated_at,
    )
    return calendar.event_ics(event)  # a download: PUBLISH, with STATUS:CANCELLED when cancelled
