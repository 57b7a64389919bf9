"""The stock dashboard against counts made independently, in Python, from the raw rows."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from equipbank.clock import PARIS, today, utcnow
from equipbank.codes import Role
from equipbank.devices import status
from equipbank.devices.models import Device, DeviceEvent
from equipbank.extensions import db
from equipbank.reports.period import twelve_months_to
from equipbank.reports.stock import (
    AGE_BUCKETS,
    FLOWS,
    IN_STOCK,
    LeadTime,
    monthly_flows,
    stock_ages,
    stock_counts,
    stock_matrix,
    stock_report,
)
from tests import factories


def _date_events(device: Device, days_ago: dict[str, int]) -> None:
    """Move a device's events (by their target status) so many days back (at 11:00 UTC: whole
    days apart whatever the daylight saving time)."""
    for event in db.session.scalars(
        sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id)
    ):
        if event.to_status in days_ago:
            event.at = datetime.combine(
                today() - timedelta(days=days_ago[event.to_status]), time(11), UTC
            )
    if "received" in days_ago:
        device.created_at = datetime.combine(
            today() - timedelta(days=days_ago["received"]), time(11), UTC
        )
    db.session.commit()


@pytest.fixture
def stock():
    """Devices in most statuses, categories and grades, their steps spread over 14 months."""
    relay_user = factories.user(Role.RELAY)
    donation = factories.donation()
    for index, grade in enumerate("ABCAB"):
        ready = factories.ready_device(donation, category="laptop" if index % 2 else "desktop")
        ready.grade = grade
        _date_events(
            ready,
            {"received": 20 + 37 * index, "refurbishing": 18 + 37 * index, "ready": 3 + 29 * index},
        )
    factories.at_workshop(donation, category="tablet")
    old = factories.device(donation, category="screen")
    _date_events(old, {"received": 400})  # beyond the twelve months, still in stock
    recycled = factories.device(donation, category="printer")
    status.transition(recycled, "recycled", reason="Hors d'usage")
    db.session.commit()
    _date_events(recycled, {"received": 50, "recycled": 40})
    for days in (5, 70, 130):
        handover = factories.equipped(relay_user, on=today() - timedelta(days=days))
        _date_events(
            handover.device, {"received": days + 30, "refurbishing": days + 28, "ready": days + 12}
        )
    returned = factories.equipped(relay_user, on=today() - timedelta(days=90))
    from equipbank.handovers import services as handovers

    handovers.return_device(returned, reason="Trop lent", actor=relay_user)
    db.session.commit()
    status.transition(returned.device, "received")  # back at the workshop: not a new intake
    db.session.commit()


def test_counts_by_status_category_and_grade(stock):
    devices = db.session.scalars(sa.select(Device)).all()
    expected = Counter((d.status, d.category, d.grade) for d in devices)
    assert {(c.status, c.category, c.grade): c.count for c in stock_counts()} == expected
    matrix = stock_matrix(stock_counts())
    assert matrix.total == len(devices)
    assert matrix.by_status == Counter(d.status for d in devices)


def test_days_in_stock(stock):
    now = utcnow()
    held = [d for d in db.session.scalars(sa.select(Device)) if d.status in IN_STOCK]
    ages = {age.status: age for age in stock_ages(now)}
    assert sum(age.devices for age in ages.values()) == len(held)
    for status_code, age in ages.items():
        days = [
            (now - d.created_at).total_seconds() / 86400 for d in held if d.status == status_code
        ]
        assert age.devices == len(days)
        assert age.average_days == pytest.approx(statistics.mean(days), abs=1e-3)
        assert age.oldest_days == pytest.approx(max(days), abs=1e-3)
        expected = [
            sum(1 for n in days if n >= low and (high is None or n < high))
            for low, high, _label in AGE_BUCKETS
        ]
        assert list(age.buckets) == expected
    assert ages["received"].buckets[-1] == 1  # the screen received 400 days ago


def _flow(event: DeviceEvent) -> str | None:
    if event.to_status == "received" and event.from_status is None:
        return "received"
    if event.to_status == "ready" and event.from_status == "refurbishing":
        return "ready"
    if event.to_status == "handed_over":
        return "handed_over"
    if event.to_status in ("recycled", "parts"):
        return "recycled"
    return None


def test_monthly_flows(stock):
    flows = monthly_flows()
    months = [flow.month for flow in flows]
    assert len(months) == 12 and months[-1] == f"{today():%Y-%m}"
    expected = Counter()
    for event in db.session.scalars(sa.select(DeviceEvent)):
        month = f"{event.at.astimezone(PARIS):%Y-%m}"
        if _flow(event) and month in months:
            expected[(month, _flow(event))] += 1
    reported = {
        (flow.month, key): getattr(flow, key)
        for flow in flows
        for key in FLOWS
        if getattr(flow, key)
    }
    assert reported == dict(expected)
    assert sum(flow.received for flow in flows) < db.session.scalar(
        sa.select(sa.func.count(Device.id))
    )


def test_median_lead_times(stock):
    since = datetime.combine(twelve_months_to(today()), time(), PARIS)
    firsts: dict[int, dict[str, datetime]] = {}
    for event in db.session.scalars(sa.select(DeviceEvent).order_by(DeviceEvent.at)):
        firsts.setdefault(event.device_id, {}).setdefault(event.to_status, event.at)
    report = stock_report()
    for lead, start, end in (
        (report.intake_to_ready, "received", "ready"),
        (report.ready_to_handover, "ready", "handed_over"),
    ):
        days = [
            (steps[end] - steps[start]).total_seconds() / 86400
            for steps in firsts.values()
            if end in steps and start in steps and steps[end] >= since
        ]
        assert lead.devices == len(days) > 2
        assert lead.median_days == pytest.approx(statistics.median(days), abs=1e-3)
        assert lead.average_days == pytest.approx(statistics.mean(days), abs=1e-3)


def test_an_empty_stock():
    report = stock_report()
    assert report.counts == [] and report.ages == []
    assert [flow.received for flow in report.flows] == [0] * 12
    assert report.intake_to_ready == LeadTime(0, None, None)


def test_the_median_of_an_even_and_an_odd_count():
    def ready_after(days: int) -> None:
        device = factories.ready_device()
        _date_events(device, {"received": 30, "refurbishing": 30, "ready": 30 - days})

    ready_after(2)
    ready_after(4)
    assert stock_report().intake_to_ready.median_days == pytest.approx(3)
    ready_after(10)
    lead = stock_report().intake_to_ready
    assert (lead.devices, lead.median_days, lead.average_days) == (
        3,
        pytest.approx(4),
        pytest.approx(16 / 3),
    )
