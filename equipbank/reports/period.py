"""What a report covers: a period of days and a territory, both checked before any query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from equipbank.clock import PARIS, today
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune

# Reports cover what the bank can have recorded: wider dates are typing mistakes.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in Paris time."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date | None = None, end: date | None = None) -> Period:
        """The period asked for; by default the year up to today (`one_year_to`), as the
        "12 derniers mois" choice of the report pages.

        Raises ValidationFailed (fields `from`, `to`) for dates out of range or reversed.
        """
        end = end or today()
        errors = {}
        for name, day in (("from", start), ("to", end)):
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[name] = [
                    f"Choisissez une date entre le {EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."
                ]
        if errors:
            raise ValidationFailed("Période invalide.", fields=errors)
        if start is None:
            start = max(EARLIEST, one_year_to(end))
        if start > end:
            errors["to"] = [
                f"La date de fin ({end:%d/%m/%Y}) précède la date de début ({start:%d/%m/%Y})."
            ]
            raise ValidationFailed("Période invalide.", fields=errors)
        return cls(start, end)

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        return cls.of(date(year, 1, 1), date(year, 12, 31))

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants: midnight in Paris to the midnight after."""
        return (
            datetime.combine(self.start, time(), PARIS),
            datetime.combine(self.end + timedelta(days=1), time(), PARIS),
        )

    @property
    def label(self) -> str:
        """Completes a sentence: "du 01/01/2026 au 31/12/2026", "depuis le début, jusqu'au …"."""
        if self.start == EARLIEST:
            return f"depuis le début, jusqu'au {self.end:%d/%m/%Y}"
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    def covers(self, column):
        start, end = self.bounds
        return (column >= start) & (column < end)


def one_year_to(last_day: date) -> date:
    """The first day of the year ending with `last_day`: 03/12/2025 for 02/12/2026 (the
    year ending on a 29 February began on 1 March)."""
    try:
        return last_day.replace(year=last_day.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February: no such day a year earlier
        return date(last_day.year - 1, 3, 1)


def twelve_months_to(last_day: date) -> date:
    """The first day of the twelve calendar months ending with `last_day`'s month."""
    month = last_day.year * 12 + last_day.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Territory:
    """A département and/or an EPCI (None: everywhere); the codes are checked to exist."""

    department: str | None = None
    epci: str | None = None

    def __bool__(self) -> bool:
        return bool(self.department or self.epci)

    def where(self, commune=Commune):
        """The condition on a commune table (or alias) to be in the territory."""
        condition = commune.kind == "commune"
        if self.department:
            condition &= commune.department_code == self.department
        if self.epci:
            condition &= commune.epci_code == self.epci
        return condition

    def name(self) -> str:
        """ "CC du Pays des Paillons", "Alpes-Maritimes", or "France" when unset."""
        if not self:
            return "France"
        column = Commune.epci_name if self.epci else Commune.department_name
        return db.session.scalar(sa.select(column).where(self.where()).limit(1)) or ""

    def population(self) -> int:
        total = db.session.scalar(sa.select(sa.func.sum(Commune.population)).where(self.where()))
        return int(total or 0)


EVERYWHERE = Territory()  # no département, no EPCI: the whole country
DEPARTMENT_CODE = re.compile(r"\d{2,3}|2[AB]", re.ASCII)
EPCI_CODE = re.compile(r"\d{9}", re.ASCII)


def check_territory(department: str | None, epci: str | None) -> Territory:
    """The territory asked for; raises ValidationFailed naming an unknown code."""
    department = (department or "").strip().upper() or None
    epci = (epci or "").strip() or None
    errors = {}
    if department and not (
        DEPARTMENT_CODE.fullmatch(department) and exists(Commune.department_code == department)
    ):
        errors["department"] = [f"Département inconnu : « {department} » (exemples : 06, 2A, 971)."]
    if epci and not (EPCI_CODE.fullmatch(epci) and exists(Commune.epci_code == epci)):
        errors["epci"] = [
            f"EPCI inconnu : « {epci} » (le code SIREN à 9 chiffres, par exemple 240600593)."
        ]
    if not errors and department and epci and not exists(Territory(department, epci).where()):
        errors["epci"] = [f"Cet EPCI n'a aucune commune dans le département {department}."]
    if errors:
        raise ValidationFailed("Territoire inconnu.", fields=errors)
    return Territory(department, epci)


def exists(condition) -> bool:
    """Whether any row meets `condition`: a code asked for is checked against the database."""
    return db.session.scalar(sa.select(sa.exists().where(condition))) is True


def report_scope(
    start: date | None, end: date | None, department: str | None, epci: str | None
) -> tuple[Period, Territory]:
    """The period and territory asked for, checked together: every error at once."""
    return check_together(lambda: Period.of(start, end), lambda: check_territory(department, epci))


def check_together(*checks):
    """Run every check; raise one ValidationFailed with all their field errors, or return
    their results."""
    results, errors = [], {}
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed("Paramètres du rapport invalides.", fields=errors)
    return tuple(results)
