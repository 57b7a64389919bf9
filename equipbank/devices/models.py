from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from equipbank.clock import utcnow
from equipbank.codes import DeviceCategory, DeviceStatus, ErasureMethod, ErasureResult, Grade
from equipbank.db import Model, TimestampMixin, UTCDateTime, as_id, code_check
from equipbank.status_machine import refuse_other_writers

if TYPE_CHECKING:
    from equipbank.auth.models import User
    from equipbank.donations.models import Donation
    from equipbank.organisations.models import Organisation

TAG_PREFIX = "EB-"
TAG_PATTERN = re.compile(r"^EB-(\d{6,10})$")


def format_tag(device_id: int) -> str:
    return f"{TAG_PREFIX}{device_id:06d}"


def parse_tag(tag: str) -> int | None:
    """The device id behind an asset tag, or None when the text is not a tag."""
    match = TAG_PATTERN.match(tag.strip().upper())
    return as_id(match.group(1)) if match else None


class Device(TimestampMixin, Model):
    """One physical unit. Its status changes only through `equipbank.devices.status`.

    The asset tag is the primary key formatted as `EB-000123`: the database allocates it at
    insert from its identity sequence (PostgreSQL) or AUTOINCREMENT rowid (SQLite), so two
    concurrent intakes can never get the same tag and a tag is never reused.
    """

    __tablename__ = "devices"
    __table_args__ = (
        code_check("category", DeviceCategory.codes()),
        code_check("status", DeviceStatus.codes()),
        code_check("grade", Grade.codes()),
        sa.UniqueConstraint("brand_key", "serial", name="uq_devices_brand_serial"),
        sa.CheckConstraint(
            "battery_health_pct IS NULL OR battery_health_pct BETWEEN 0 AND 100",
            name="battery_health_range",
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(sa.Identity(), primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    # The declared line this unit answers, when the intake matched one.
    donation_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("donation_lines.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(20))
    brand: Mapped[str | None] = mapped_column(sa.String(100))
    # Lower-cased brand ("" when unknown): the serial is unique per brand whatever its case.
    brand_key: Mapped[str] = mapped_column(sa.String(100), default="")
    model: Mapped[str | None] = mapped_column(sa.String(150))
    serial: Mapped[str | None] = mapped_column(sa.String(100))
    cpu: Mapped[str | None] = mapped_column(sa.String(150))
    ram_gb: Mapped[int | None]
    storage_gb: Mapped[int | None]
    screen_inches: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 1))
    battery_health_pct: Mapped[int | None]
    os_installed: Mapped[str | None] = mapped_column(sa.String(100))
    keyboard_layout: Mapped[str | None] = mapped_column(sa.String(30))
    functional_tests_passed: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    grade: Mapped[str | None] = mapped_column(sa.String(1))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # Optimistic locking: an UPDATE from a stale read fails instead of overwriting a
    # concurrent change (two staff members allocating the same device).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    donation: Mapped[Donation] = relationship(back_populates="devices")
    holder: Mapped[Organisation | None] = relationship()
    events: Mapped[list[DeviceEvent]] = relationship(
        back_populates="device", order_by="DeviceEvent.id"
    )
    erasures: Mapped[list[ErasureRecord]] = relationship(
        back_populates="device", order_by="ErasureRecord.id"
    )

    @property
    def tag(self) -> str:
        return format_tag(self.id)

    @validates("status")
    def _only_the_status_machine(self, _key: str, status: str) -> str:
        return refuse_other_writers(self, status)

    @validates("brand")
    def _keep_brand_key(self, _key: str, brand: str | None) -> str | None:
        self.brand_key = (brand or "").strip().lower()
        return brand

    def __repr__(self) -> str:
        return f"<Device {self.id} {self.status}>"


class DeviceEvent(Model):
    """One status transition of a device, written in the same transaction as the change."""

    __tablename__ = "device_events"
    __table_args__ = (
        code_check("from_status", DeviceStatus.codes()),
        code_check("to_status", DeviceStatus.codes()),
        # The reports' monthly flows and lead times: events of one kind over a period.
        sa.Index("ix_device_events_to_status_at", "to_status", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    device: Mapped[Device] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<DeviceEvent {self.id} {self.from_status}->{self.to_status}>"


class ErasureRecord(Model):
    """A data-erasure operation on a device; a successful one is a guard of `ready`."""

    __tablename__ = "erasure_records"
    __table_args__ = (
        code_check("method", ErasureMethod.codes()),
        code_check("result", ErasureResult.codes()),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(30))
    tool: Mapped[str] = mapped_column(sa.String(150))
    certificate_ref: Mapped[str] = mapped_column(sa.String(150))
    operator: Mapped[str] = mapped_column(sa.String(150))
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(sa.String(10), default=ErasureResult.SUCCESS)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    device: Mapped[Device] = relationship(back_populates="erasures")
    recorded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ErasureRecord {self.id} device={self.device_id} {self.result}>"
