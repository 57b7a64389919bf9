from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from equipbank.clock import utcnow
from equipbank.codes import DeviceCategory, RequestStatus, ReservationStatus
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check, db
from equipbank.status_machine import refuse_other_writers

if TYPE_CHECKING:
    from equipbank.beneficiaries.models import Beneficiary
    from equipbank.devices.models import Device
    from equipbank.organisations.models import Organisation

request_beneficiaries = sa.Table(
    "request_beneficiaries",
    db.metadata,
    sa.Column("request_id", sa.ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("beneficiary_id", sa.ForeignKey("beneficiaries.id"), primary_key=True),
)


class DeviceRequest(TimestampMixin, Model):
    """A relay's request for devices of a category (table `requests`)."""

    __tablename__ = "requests"
    __table_args__ = (
        code_check("category", DeviceCategory.codes()),
        code_check("status", RequestStatus.codes()),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    relay_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=RequestStatus.OPEN, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    relay: Mapped[Organisation] = relationship()
    beneficiaries: Mapped[list[Beneficiary]] = relationship(secondary=request_beneficiaries)
    reservations: Mapped[list[Reservation]] = relationship(
        back_populates="request", order_by="Reservation.id"
    )

    @validates("status")
    def _only_the_status_machine(self, _key: str, status: str) -> str:
        return refuse_other_writers(self, status)

    def __repr__(self) -> str:
        return f"<DeviceRequest {self.id} {self.category} x{self.quantity} {self.status}>"


class Reservation(Model):
    """A device allocated to a request. At most one active reservation per device."""

    __tablename__ = "reservations"
    __table_args__ = (
        code_check("status", ReservationStatus.codes()),
        sa.Index(
            "uq_reservations_active_device",
            "device_id",
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=ReservationStatus.ACTIVE)
    reserved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[DeviceRequest] = relationship(back_populates="reservations")
    device: Mapped[Device] = relationship()

    def __repr__(self) -> str:
        return f"<Reservation {self.id} device={self.device_id} {self.status}>"
