from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.clock import utcnow
from equipbank.db import Model, UTCDateTime

if TYPE_CHECKING:
    from equipbank.appointments.models import Appointment
    from equipbank.beneficiaries.models import Beneficiary
    from equipbank.devices.models import Device
    from equipbank.geo.models import Commune
    from equipbank.organisations.models import Organisation


class Handover(Model):
    """A device given to a beneficiary by a relay; always saved with its follow-up appointment.

    At most one active (not returned) handover per device.
    """

    __tablename__ = "handovers"
    __table_args__ = (
        sa.Index(
            "uq_handovers_active_device",
            "device_id",
            unique=True,
            postgresql_where=sa.text("returned_at IS NULL"),
            sqlite_where=sa.text("returned_at IS NULL"),
        ),
        sa.CheckConstraint("charter_accepted", name="charter_accepted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id"), index=True)
    relay_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    handed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The beneficiary's commune on that day: reports stay right if the person moves.
    commune_code: Mapped[str] = mapped_column(sa.ForeignKey("communes.code"), index=True)
    accessories: Mapped[str | None] = mapped_column(sa.String(300))
    charter_accepted: Mapped[bool]
    receipt_ref: Mapped[str] = mapped_column(sa.String(30), unique=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(sa.String(300))

    device: Mapped[Device] = relationship()
    beneficiary: Mapped[Beneficiary] = relationship()
    relay: Mapped[Organisation] = relationship()
    # For loading with a list of handovers only: written through commune_code and Appointment.
    commune: Mapped[Commune] = relationship(viewonly=True)
    appointments: Mapped[list[Appointment]] = relationship(order_by="Appointment.id", viewonly=True)

    def __repr__(self) -> str:
        return f"<Handover {self.id} device={self.device_id}>"
