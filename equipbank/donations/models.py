from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.codes import DeviceCategory, DonationStatus
from equipbank.db import TimestampMixin, code_check, db

if TYPE_CHECKING:
    from equipbank.devices.models import Device
    from equipbank.organisations.models import Organisation


class Donation(TimestampMixin, db.Model):
    """A lot of equipment declared by a donor organisation."""

    __tablename__ = "donations"
    __table_args__ = (code_check("status", DonationStatus.codes()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    declared_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(20), default=DonationStatus.DECLARED, index=True)
    pickup_address: Mapped[str | None] = mapped_column(sa.String(300))
    pickup_commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code"))
    preferred_pickup_on: Mapped[date | None]
    erasure_certificate_requested: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    donor: Mapped[Organisation] = relationship()
    lines: Mapped[list[DonationLine]] = relationship(
        back_populates="donation", cascade="all, delete-orphan", order_by="DonationLine.id"
    )
    devices: Mapped[list[Device]] = relationship(back_populates="donation")

    def __repr__(self) -> str:
        return f"<Donation {self.id} {self.status}>"


class DonationLine(db.Model):
    """One declared line: so many devices of a category, optionally with their serials."""

    __tablename__ = "donation_lines"
    __table_args__ = (
        code_check("category", DeviceCategory.codes()),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("donations.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[int]
    brand: Mapped[str | None] = mapped_column(sa.String(100))
    model: Mapped[str | None] = mapped_column(sa.String(150))
    serials: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    donation: Mapped[Donation] = relationship(back_populates="lines")

    def __repr__(self) -> str:
        return f"<DonationLine {self.id} {self.category} x{self.quantity}>"
