"""The time: now in UTC for timestamps, today and calendar months in Paris for people."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The zone people here live in: dates shown, and "today" for a person, are Paris dates.
PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date where the people are (Paris), for declared, received, planned dates."""
    return datetime.now(PARIS).date()


def month_buckets(last_day: date, months: int = 12) -> list[tuple[str, datetime, datetime]]:
    """The `months` calendar months (Paris time) ending with `last_day`'s: (YYYY-MM, start,
    end) with aware bounds, so both engines bucket a timestamp into the same month."""
    buckets = []
    year, month = last_day.year, last_day.month
    for _ in range(months):
        start = datetime(year, month, 1, tzinfo=PARIS)
        following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=PARIS)
        buckets.append((f"{year:04d}-{month:02d}", start, following))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return buckets[::-1]


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that day does not exist, as 31 August to 28 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
