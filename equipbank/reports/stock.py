"""The stock dashboard: devices held by status, category and grade, their age, the monthly
flows and the lead times through the workshop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa

from equipbank.clock import PARIS, month_buckets, today, utcnow
from equipbank.codes import DeviceCategory, DeviceStatus, Grade
from equipbank.db import bucket_of, days_between
from equipbank.devices import status
from equipbank.devices.models import Device, DeviceEvent
from equipbank.extensions import db
from equipbank.reports.period import twelve_months_to

S = DeviceStatus
# Devices the bank still holds (the status machine's set), in the order of the chain.
IN_STOCK = tuple(code for code in S if code in status.HELD)
# Days since intake, as the dashboard groups them.
AGE_BUCKETS = (
    (0, 30, "Moins de 30 jours"),
    (30, 90, "30 à 90 jours"),
    (90, 180, "90 à 180 jours"),
    (180, None, "Plus de 180 jours"),
)
# The monthly flows: what a device event counts as.
FLOWS = {
    "received": "Réceptionnés",
    "ready": "Prêts",
    "handed_over": "Remis",
    "recycled": "Recyclés ou pièces",
}


@dataclass(frozen=True)
class StockCount:
    status: str
    category: str
    grade: str | None
    count: int


@dataclass(frozen=True)
class StockAge:
    status: str
    devices: int
    average_days: float
    oldest_days: float
    buckets: tuple[int, ...]  # one count per AGE_BUCKETS entry


@dataclass(frozen=True)
class MonthFlow:
    month: str  # "2026-11"
    received: int
    ready: int
    handed_over: int
    recycled: int


@dataclass(frozen=True)
class LeadTime:
    devices: int
    median_days: float | None
    average_days: float | None


@dataclass(frozen=True)
class StockReport:
    counts: list[StockCount]
    ages: list[StockAge]
    flows: list[MonthFlow]
    intake_to_ready: LeadTime
    ready_to_handover: LeadTime
    since: date  # the twelve months of flows and lead times start here


def stock_counts() -> list[StockCount]:
    statement = (
        sa.select(Device.status, Device.category, Device.grade, sa.func.count())
        .group_by(Device.status, Device.category, Device.grade)
        .order_by(Device.status, Device.category, Device.grade)
    )
    return [StockCount(*row) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class StockLine:
    category: str
    grade: str | None
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class StockMatrix:
    lines: list[StockLine]  # one per category and grade, in the order of the codes
    by_status: dict[str, int]
    total: int


def stock_matrix(counts: list[StockCount]) -> StockMatrix:
    """The status x category x grade counts laid out as a table (the counting itself is
    the database's GROUP BY)."""
    cells: dict[tuple[str, str | None], dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for count in counts:
        cells.setdefault((count.category, count.grade), {})[count.status] = count.count
        by_status[count.status] = by_status.get(count.status, 0) + count.count
    lines = [
        StockLine(category, grade, cells[(category, grade)])
        for category in DeviceCategory.codes()
        for grade in [*Grade.codes(), None]
        if (category, grade) in cells
    ]
    return StockMatrix(lines, by_status, sum(by_status.values()))


def stock_ages(now: datetime | None = None) -> list[StockAge]:
    """Devices still held, by status: how long since their intake."""
    now = now or utcnow()
    age = days_between(Device.created_at, sa.literal(now, Device.created_at.type))
    buckets = [
        sa.func.sum(sa.case(((age >= low) & (age < high) if high else age >= low, 1), else_=0))
        for low, high, _label in AGE_BUCKETS
    ]
    statement = (
        sa.select(Device.status, sa.func.count(), sa.func.avg(age), sa.func.max(age), *buckets)
        .where(Device.status.in_(IN_STOCK))
        .group_by(Device.status)
    )
    rows = {row[0]: row for row in db.session.execute(statement)}
    return [
        StockAge(
            code,
            rows[code][1],
            float(rows[code][2]),
            float(rows[code][3]),
            tuple(int(n) for n in rows[code][4:]),
        )
        for code in IN_STOCK
        if code in rows
    ]


def flow_of():
    """Which flow a device event is: an intake (not a return), the end of reconditioning
    (not a release of a reservation), a handover, a recycling or dismantling."""
    return sa.case(
        ((DeviceEvent.to_status == S.RECEIVED) & DeviceEvent.from_status.is_(None), "received"),
        ((DeviceEvent.to_status == S.READY) & (DeviceEvent.from_status == S.REFURBISHING), "ready"),
        (DeviceEvent.to_status == S.HANDED_OVER, "handed_over"),
        (DeviceEvent.to_status.in_((S.RECYCLED, S.PARTS)), "recycled"),
        else_=None,
    )


def monthly_flows(last_day: date | None = None, months: int = 12) -> list[MonthFlow]:
    buckets = month_buckets(last_day or today(), months)
    month = bucket_of(DeviceEvent.at, buckets).label("month")
    flow = flow_of().label("flow")
    statement = (
        sa.select(month, flow, sa.func.count())
        .where(
            DeviceEvent.to_status.in_((S.RECEIVED, S.READY, S.HANDED_OVER, S.RECYCLED, S.PARTS)),
            DeviceEvent.at >= buckets[0][1],
            DeviceEvent.at < buckets[-1][2],
        )
        .group_by(month, flow)
    )
    counts = {(m, f): n for m, f, n in db.session.execute(statement) if f is not None}
    return [
        MonthFlow(key, *(counts.get((key, name), 0) for name in FLOWS))
        for key, _start, _end in buckets
    ]


MILESTONES = (S.RECEIVED, S.READY, S.HANDED_OVER)


def _milestones(*conditions) -> sa.Subquery:
    """Per device (of those meeting `conditions`): its first intake, first end of
    reconditioning and first handover."""

    def first(condition):
        return sa.func.min(sa.case((condition, DeviceEvent.at), else_=None))

    return (
        sa.select(
            DeviceEvent.device_id,
            *(
                first(DeviceEvent.to_status == milestone).label(milestone)
                for milestone in MILESTONES
            ),
        )
        .where(DeviceEvent.to_status.in_(MILESTONES), *conditions)
        .group_by(DeviceEvent.device_id)
        .subquery("milestones")
    )


def _lead_time(start: str, end: str, since: datetime) -> LeadTime:
    """Median and mean days from one milestone to the next, for devices that reached the
    second one since `since`. The median is computed with window functions (SQLite has no
    percentile function): the middle row, or the mean of the two middle rows."""
    recent = sa.orm.aliased(DeviceEvent)
    milestones = _milestones(
        DeviceEvent.device_id.in_(
            sa.select(recent.device_id).where(recent.to_status == end, recent.at >= since)
        )
    )
    days = days_between(milestones.c[start], milestones.c[end])
    ranked = (
        sa.select(
            days.label("days"),
            sa.func.row_number().over(order_by=days).label("position"),
            sa.func.count().over().label("devices"),
        )
        .where(milestones.c[end] >= since, milestones.c[start].is_not(None))
        .subquery("ranked")
    )
    middle = ranked.c.position.in_([(ranked.c.devices + 1) // 2, (ranked.c.devices + 2) // 2])
    median = sa.select(sa.func.avg(ranked.c.days)).where(middle).scalar_subquery()
    devices, average, median = db.session.execute(
        sa.select(sa.func.count(), sa.func.avg(ranked.c.days), median)
    ).one()
    return LeadTime(
        devices,
        None if median is None else float(median),
        None if average is None else float(average),
    )


def stock_report(last_day: date | None = None) -> StockReport:
    flows = monthly_flows(last_day)
    since = twelve_months_to(last_day or today())
    since_at = datetime.combine(since, time(), PARIS)
    return StockReport(
        counts=stock_counts(),
        ages=stock_ages(),
        flows=flows,
        intake_to_ready=_lead_time(S.RECEIVED, S.READY, since_at),
        ready_to_handover=_lead_time(S.READY, S.HANDED_OVER, since_at),
        since=since,
    )
