"""Anonymisation of beneficiaries: after the retention period, or at once on request.

One way to anonymise, shared by the daily housekeeping (`apply_retention`), the relay's or
staff's "Anonymiser maintenant" (`anonymise`) and `flask privacy retention`. What identifies
the person goes: names, birth year, contacts, who checked the eligibility and when, the
places of the appointments, the free-text reason a device came back, the answers the API
keeps for retries that named them (`api/idempotency.py`). What the reports count
stays: commune, age band, public category, referrer and eligibility codes, consent date, the
handovers (dates, communes, devices, receipt numbers) and the appointments' dates, statuses,
topics and durations. So every report and export gives the same figures before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from equipbank.api import idempotency
from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.beneficiaries import services
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import months_before, today, utcnow
from equipbank.codes import AgeBand, AppointmentStatus, DeviceStatus, ErasureReason
from equipbank.devices.models import DeviceEvent
from equipbank.errors import NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.handovers.models import Handover

if TYPE_CHECKING:
    from equipbank.auth.models import User

# Written in place of the free-text reason a device came back: the return itself stays.
REASON_ERASED = "Motif effacé (anonymisation)"
# People cleared by one statement: their ids are bound parameters, a few thousand at most,
# well under what SQLite (32,766) and PostgreSQL (65,535) take in one statement.
BATCH = 1000


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Activity before this moment is past the retention period (`RETENTION_MONTHS`)."""
    return months_before(now or utcnow(), current_app.config["RETENTION_MONTHS"])


def past_retention(cutoff: datetime) -> sa.Select:
    """People not anonymised whose last activity is before `cutoff`: their last handover,
    their last follow-up with an outcome and the last edit of their file are all older, and
    no follow-up is still planned after it (its reminder must still name them)."""
    handed_since = sa.exists().where(
        Handover.beneficiary_id == Beneficiary.id, Handover.handed_at >= cutoff
    )
    outcome_since = sa.exists().where(
        Appointment.beneficiary_id == Beneficiary.id, Appointment.outcome_recorded_at >= cutoff
    )
    planned_since = sa.exists().where(
        Appointment.beneficiary_id == Beneficiary.id,
        Appointment.status == AppointmentStatus.SCHEDULED,
        Appointment.starts_at >= cutoff,
    )
    return (
        sa.select(Beneficiary)
        .where(
            Beneficiary.anonymised_at.is_(None),
            Beneficiary.updated_at < cutoff,
            ~handed_since,
            ~outcome_since,
            ~planned_since,
        )
        .order_by(Beneficiary.id)
    )


def _clear(people: Sequence[Beneficiary], now: datetime) -> None:
    """Remove what identifies these people, keep what the reports count (module docstring):
    the same few statements for one person or a thousand."""
    for start in range(0, len(people), BATCH):
        _clear_batch(people[start : start + BATCH], now)


def _clear_batch(people: Sequence[Beneficiary], now: datetime) -> None:
    year = today().year
    for person in people:  # a file older than the age band: written in one executemany
        if person.age_band is None and person.birth_year is not None:
            person.age_band = AgeBand.of(person.birth_year, year)
    ids = [person.id for person in people]
    db.session.execute(
        sa.update(Beneficiary)
        .where(Beneficiary.id.in_(ids))
        .values(
            first_name=None,
            last_name=None,
            birth_year=None,
            phone=None,
            email=None,
            email_reminders=False,
            eligibility_verified_by=None,
            eligibility_verified_on=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session="evaluate")  # the loaded people too
    )
    db.session.execute(
        sa.update(Appointment)
        .where(Appointment.beneficiary_id.in_(ids), Appointment.place.is_not(None))
        .values(place=None)
        .execution_options(synchronize_session="evaluate")
    )
    returned = db.session.scalars(
        sa.select(Handover).where(
            Handover.beneficiary_id.in_(ids), Handover.return_reason.is_not(None)
        )
    ).all()
    for handover in returned:
        handover.return_reason = REASON_ERASED
    if returned:
        _erase_return_reasons_in_device_history(returned)
    # The API's kept answers that named them: their registration, and their handovers and
    # outcomes, whose answers give the follow-up's place.
    idempotency.erase_answers(
        {
            Beneficiary: sa.select(Beneficiary.id).where(Beneficiary.id.in_(ids)),
            Handover: sa.select(Handover.id).where(Handover.beneficiary_id.in_(ids)),
            Appointment: sa.select(Appointment.id).where(Appointment.beneficiary_id.in_(ids)),
        }
    )


def _erase_return_reasons_in_device_history(returned: Sequence[Handover]) -> None:
    """Each device's "returned" event copied the reason typed at the return."""
    handover_ids = {handover.id for handover in returned}
    events = db.session.scalars(
        sa.select(DeviceEvent).where(
            DeviceEvent.device_id.in_({handover.device_id for handover in returned}),
            DeviceEvent.to_status == DeviceStatus.RETURNED,
        )
    ).all()
    for event in events:
        data = event.data or {}
        if data.get("handover_id") in handover_ids and "reason" in data:
            event.data = {**data, "reason": REASON_ERASED}  # a new dict: JSON is not tracked


def anonymise(beneficiary: Beneficiary, *, actor: User, reason: str) -> Beneficiary:
    """Right of erasure: anonymise this person now, irreversibly. Audited with the reason's
    code only (never free text about the person)."""
    if not services.can_see(actor, beneficiary):  # the owning relay, and staff
        raise NotFound("Bénéficiaire introuvable.")
    if reason not in ErasureReason.codes():
        raise ValidationFailed(
            "Choisissez le motif de l'anonymisation.", fields={"reason": ["Motif obligatoire."]}
        )
    if beneficiary.anonymised_at is not None:
        raise ValidationFailed("Cette fiche est déjà anonymisée.")
    _clear([beneficiary], utcnow())
    audit.record("beneficiary.anonymise", beneficiary, actor=actor, summary={"reason": reason})
    return beneficiary


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    months: int
    count: int
    dry_run: bool

    def __str__(self) -> str:
        verb = "à anonymiser" if self.dry_run else "anonymisé(s)"
        return (
            f"{self.count} bénéficiaire(s) {verb} "
            f"(sans activité depuis {self.months} mois, avant le {self.cutoff:%d/%m/%Y})"
        )


def apply_retention(*, dry_run: bool = False, now: datetime | None = None) -> RetentionReport:
    """Anonymise everyone past the retention period (or only count them, `dry_run`). One
    audit event for the run, with the count, also when it found nobody (run once a day by
    the housekeeping, the journal shows that it runs), and one per person anonymised (its id
    only)."""
    cutoff = retention_cutoff(now)
    months = current_app.config["RETENTION_MONTHS"]
    people = db.session.scalars(past_retention(cutoff)).all()
    if not dry_run:
        _clear(people, now or utcnow())
        for person in people:
            audit.record("beneficiary.anonymise", person, summary={"reason": "retention"})
    audit.record(
        "beneficiary.retention",
        "beneficiaries",
        summary={
            "dry_run": dry_run,
            "count": len(people),
            "months": months,
            "cutoff": cutoff.date().isoformat(),
        },
    )
    db.session.flush()
    return RetentionReport(cutoff=cutoff, months=months, count=len(people), dry_run=dry_run)
