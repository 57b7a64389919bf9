from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from equipbank.clock import utcnow
from equipbank.codes import (
    AppointmentStatus,
    Autonomy,
    LocationType,
    NextStep,
    NotificationChannel,
    NotificationKind,
    NotificationResult,
)
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check
from equipbank.status_machine import refuse_other_writers

if TYPE_CHECKING:
    from equipbank.auth.models import User
    from equipbank.beneficiaries.models import Beneficiary
    from equipbank.handovers.models import Handover


class Appointment(TimestampMixin, Model):
    """A follow-up training appointment with a conseiller numérique, and its outcome."""

    __tablename__ = "appointments"
    __table_args__ = (
        code_check("location_type", LocationType.codes()),
        code_check("status", AppointmentStatus.codes()),
        code_check("autonomy", Autonomy.codes()),
        code_check("next_step", NextStep.codes()),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 1 AND 4", name="confidence_range"
        ),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint(
            "status <> 'done' OR outcome_duration_minutes > 0", name="done_has_duration"
        ),
        sa.CheckConstraint("status <> 'done' OR held_at IS NOT NULL", name="done_has_held_at"),
        sa.Index("ix_appointments_advisor_starts", "advisor_id", "starts_at"),
        # "Has this handover a follow-up done?", asked for each handover by the reports.
        sa.Index("ix_appointments_handover_status", "handover_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handovers.id"))
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    location_type: Mapped[str] = mapped_column(sa.String(20))
    place: Mapped[str | None] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(
        sa.String(30), default=AppointmentStatus.SCHEDULED, index=True
    )
    rescheduled_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    # RFC 5545 SEQUENCE: raised at each change, so calendar apps replace their copy.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Outcome, when the advisor logs it. `held_at`: when a session that took place was really
    # held (the planned time unless said otherwise; earlier when the person came early).
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_duration_minutes: Mapped[int | None]
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    autonomy: Mapped[str | None] = mapped_column(sa.String(30))
    confidence: Mapped[int | None]
    next_step: Mapped[str | None] = mapped_column(sa.String(30))
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    handover: Mapped[Handover | None] = relationship()
    beneficiary: Mapped[Beneficiary] = relationship()
    advisor: Mapped[User] = relationship(foreign_keys=[advisor_id])
    rescheduled_from: Mapped[Appointment | None] = relationship(remote_side=[id])

    @validates("status")
    def _only_the_status_machine(self, _key: str, status: str) -> str:
        return refuse_other_writers(self, status)

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status}>"


class NotificationReceipt(Model):
    """A notification, claimed before it is sent: unique per (kind, subject, recipient).

    The claim (`pending`) is committed before sending, so two sweeps or two workers cannot
    both send it; `sent` or `failed` is recorded after. A claim left `pending` by a crash is
    taken again once it is stale: a notification can then be repeated, never lost.
    The recipient is named by role and id ("advisor:7", "beneficiary:42"), never by address.
    """

    __tablename__ = "notification_receipts"
    __table_args__ = (
        code_check("kind", NotificationKind.codes()),
        code_check("channel", NotificationChannel.codes()),
        code_check("result", NotificationResult.codes()),
        sa.UniqueConstraint(
            "kind", "subject_key", "recipient", name="uq_notification_receipts_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    # What the notification is about: "appointment:12", or "digest:2026-11-22" for a digest.
    subject_key: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10), default=NotificationChannel.EMAIL)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    # Why the last attempt failed (the SMTP error class and code), never the message's content.
    error: Mapped[str | None] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        return f"<NotificationReceipt {self.id} {self.kind} {self.subject_key}>"
