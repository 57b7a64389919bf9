from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from equipbank.codes import DeviceCategory, DonationStatus, InventoryImportStatus
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check
from equipbank.status_machine import refuse_other_writers

if TYPE_CHECKING:
    from equipbank.auth.models import User
    from equipbank.devices.models import Device
    from equipbank.organisations.models import Organisation


class Donation(TimestampMixin, Model):
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
    pickup_planned_on: Mapped[date | None]
    collected_on: Mapped[date | None]
    received_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    erasure_certificate_requested: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    donor: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[DonationLine]] = relationship(
        back_populates="donation", cascade="all, delete-orphan", order_by="DonationLine.id"
    )
    devices: Mapped[list[Device]] = relationship(back_populates="donation", order_by="Device.id")

    @property
    def reference(self) -> str:
        return f"DON-{self.id:06d}"

    @property
    def declared_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @validates("status")
    def _only_the_status_machine(self, _key: str, status: str) -> str:
        return refuse_other_writers(self, status)

    def __repr__(self) -> str:
        return f"<Donation {self.id} {self.status}>"


class DonationLine(Model):
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


class InventoryImport(TimestampMixin, Model):
    """A donor's inventory file on its way to becoming a donation: uploaded, checked, imported.

    The file is kept in the database (not on a disk a worker may not share) until it is
    imported; the check's result is kept so the preview survives a reload.
    """

    __tablename__ = "inventory_imports"
    __table_args__ = (code_check("status", InventoryImportStatus.codes()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=InventoryImportStatus.UPLOADED)
    # {"columns": {field: index | None}, "default_category": code | None}
    mapping: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    headers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    total_rows: Mapped[int] = mapped_column(default=0)
    valid_rows: Mapped[int] = mapped_column(default=0)
    # The first issues found ({row, field, message, severity}); counts are exact, lists capped.
    error_count: Mapped[int] = mapped_column(default=0)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"))

    donor: Mapped[Organisation] = relationship()
    donation: Mapped[Donation | None] = relationship()

    @validates("status")
    def _only_the_status_machine(self, _key: str, status: str) -> str:
        return refuse_other_writers(self, status)

    def __repr__(self) -> str:  # the file name may name people: not in logs
        return f"<InventoryImport {self.id} {self.status}>"
