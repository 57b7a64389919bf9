from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.codes import AgeBand, BeneficiaryCategory, EligibilityBasis, ReferrerKind
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check

if TYPE_CHECKING:
    from equipbank.appointments.models import Appointment
    from equipbank.geo.models import Commune
    from equipbank.handovers.models import Handover
    from equipbank.organisations.models import Organisation


class Beneficiary(TimestampMixin, Model):
    """A person equipped through a relay, owned by that relay (DESIGN.md §7).

    Minimum data: a birth year, never a date; an eligibility basis, never a document. After
    anonymisation the names and contacts are gone, commune, age band and category stay.
    """

    __tablename__ = "beneficiaries"
    __table_args__ = (
        code_check("category", BeneficiaryCategory.codes()),
        code_check("referrer_kind", ReferrerKind.codes()),
        code_check("eligibility_basis", EligibilityBasis.codes()),
        code_check("age_band", AgeBand.codes()),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year_range"
        ),
        sa.CheckConstraint(
            "anonymised_at IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)",
            name="names_until_anonymised",
        ),
        # The duplicate check looks for the same person by commune and birth year.
        sa.Index("ix_beneficiaries_commune_birth_year", "commune_code", "birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    relay_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    birth_year: Mapped[int | None]
    age_band: Mapped[str | None] = mapped_column(sa.String(10))
    commune_code: Mapped[str] = mapped_column(sa.ForeignKey("communes.code"), index=True)
    category: Mapped[str] = mapped_column(sa.String(30))
    referrer_kind: Mapped[str | None] = mapped_column(sa.String(30))
    eligibility_basis: Mapped[str | None] = mapped_column(sa.String(30))
    eligibility_verified_by: Mapped[str | None] = mapped_column(sa.String(150))
    eligibility_verified_on: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # A separate consent: appointment reminders by email (issue 5), only when given.
    email_reminders: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    relay: Mapped[Organisation] = relationship()
    commune: Mapped[Commune] = relationship()
    # Read only, oldest first: the API's detail answer lists them.
    handovers: Mapped[list[Handover]] = relationship(viewonly=True, order_by="Handover.handed_at")
    appointments: Mapped[list[Appointment]] = relationship(
        viewonly=True, order_by="Appointment.starts_at"
    )

    @property
    def full_name(self) -> str:
        if self.anonymised_at is not None:
            return "Personne anonymisée"
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:  # no names: reprs end up in logs
        return f"<Beneficiary {self.id} relay={self.relay_id}>"
