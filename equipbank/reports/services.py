"""Report figures, every one an aggregate computed by the database (issue 6).

A report never loops over rows in Python: each figure is a GROUP BY (or a window function
for medians) on the indexed columns. Handovers carry the beneficiary's commune of the day,
so a person who moves later still counts where they were equipped.

Definitions, the same on every page, export and API answer:
- equipped beneficiaries: distinct beneficiaries with a handover in the period;
- handovers: handovers in the period, a device later returned included;
- follow-ups done: handovers of the period with at least one follow-up appointment `done`;
- per 1,000 inhabitants: equipped beneficiaries over the population of the commune, or of
  the whole EPCI or département when grouped by those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.audit import services as audit
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import (
    AppointmentStatus,
    BeneficiaryCategory,
    DeviceCategory,
    DeviceStatus,
    DonationStatus,
    Grade,
    OrganisationKind,
    ReportGrouping,
)
from equipbank.db import PARIS, bucket_of, days_between, month_buckets, today, utcnow
from equipbank.devices import status
from equipbank.devices.models import Device, DeviceEvent
from equipbank.donations.models import Donation
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.impact import ImpactFigures

S = DeviceStatus
# Reports cover what the bank can have recorded: wider dates are typing mistakes.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
NO_EPCI = ""  # the group of the few communes outside any EPCI (islands)


# Period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in Paris time."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date | None = None, end: date | None = None) -> Period:
        """The period asked for; by default the twelve calendar months up to today (the
        current one included, as the monthly flows).

        Raises ValidationFailed (fields `from`, `to`) for dates out of range or reversed.
        """
        end = end or today()
        errors = {}
        for name, day in (("from", start), ("to", end)):
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[name] = [
                    f"Choisissez une date entre le {EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."
                ]
        if not errors and start is None:
            start = max(EARLIEST, twelve_months_to(end))
        if not errors and start > end:
            errors["to"] = [
                f"La date de fin ({end:%d/%m/%Y}) précède la date de début ({start:%d/%m/%Y})."
            ]
        if errors:
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


def twelve_months_to(last_day: date) -> date:
    """The first day of the twelve calendar months ending with `last_day`'s month."""
    month = last_day.year * 12 + last_day.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1)


# Territory -----------------------------------------------------------------------------------


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


DEPARTMENT_CODE = re.compile(r"\d{2,3}|2[AB]", re.ASCII)
EPCI_CODE = re.compile(r"\d{9}", re.ASCII)


def check_territory(department: str | None, epci: str | None) -> Territory:
    """The territory asked for; raises ValidationFailed naming an unknown code."""
    department = (department or "").strip().upper() or None
    epci = (epci or "").strip() or None
    errors = {}
    if department and not (
        DEPARTMENT_CODE.fullmatch(department) and _exists(Commune.department_code == department)
    ):
        errors["department"] = [f"Département inconnu : « {department} » (exemples : 06, 2A, 971)."]
    if epci and not (EPCI_CODE.fullmatch(epci) and _exists(Commune.epci_code == epci)):
        errors["epci"] = [
            f"EPCI inconnu : « {epci} » (le code SIREN à 9 chiffres, par exemple 240600593)."
        ]
    if not errors and department and epci and not _exists(Territory(department, epci).where()):
        errors["epci"] = [f"Cet EPCI n'a aucune commune dans le département {department}."]
    if errors:
        raise ValidationFailed("Territoire inconnu.", fields=errors)
    return Territory(department, epci)


def _exists(condition) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(condition))) is True


# The per-commune report ----------------------------------------------------------------------

SORTS = (
    "name",
    "code",
    "population",
    "equipped_beneficiaries",
    "handovers",
    "followups_done",
    "followup_rate",
    "per_thousand",
)


@dataclass(frozen=True)
class CommuneQuery:
    period: Period
    territory: Territory = Territory()
    relay_id: int | None = None
    category: str | None = None
    grouping: str = ReportGrouping.COMMUNE
    with_zeros: bool = False
    sort: str = "equipped_beneficiaries"
    descending: bool = True

    def filters(self) -> dict[str, str]:
        """The request in words for the audit log: codes and dates, checked, never free text."""
        values = {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "department": self.territory.department,
            "epci": self.territory.epci,
            "relay": self.relay_id,
            "category": self.category,
            "grouping": self.grouping,
            "with_zeros": self.with_zeros or None,
        }
        return {key: str(value) for key, value in values.items() if value is not None}


def report_scope(
    start: date | None, end: date | None, department: str | None, epci: str | None
) -> tuple[Period, Territory]:
    """The period and territory asked for, checked together: every error at once."""
    return _collect(lambda: Period.of(start, end), lambda: check_territory(department, epci))


def commune_query(
    start: date | None = None,
    end: date | None = None,
    department: str | None = None,
    epci: str | None = None,
    *,
    relay_id: int | None = None,
    category: str | None = None,
    grouping: str | None = None,
    with_zeros: bool = False,
    sort: str | None = None,
    descending: bool | None = None,
) -> CommuneQuery:
    """A checked request for the per-commune report; raises ValidationFailed naming every
    wrong parameter (`from`, `to`, `department`, `epci`, `relay`, `category`, ...)."""

    def options() -> None:
        errors = {}
        if relay_id is not None and not _exists(
            (Organisation.id == relay_id) & (Organisation.kind == OrganisationKind.RELAY)
        ):
            errors["relay"] = ["Structure relais inconnue."]
        if category is not None and category not in BeneficiaryCategory.codes():
            errors["category"] = ["Catégorie de public inconnue."]
        if grouping is not None and grouping not in ReportGrouping.codes():
            errors["grouping"] = ["Regroupement inconnu (commune, epci ou department)."]
        if sort is not None and sort not in SORTS:
            errors["sort"] = [f"Tri inconnu ; valeurs possibles : {', '.join(SORTS)}."]
        if with_zeros and not (department or epci):
            errors["with_zeros"] = [
                "Choisissez un EPCI ou un département pour afficher aussi les communes à zéro."
            ]
        if errors:
            raise ValidationFailed("Paramètres du rapport invalides.", fields=errors)

    period, territory, _ = _collect(
        lambda: Period.of(start, end), lambda: check_territory(department, epci), options
    )
    sort = sort or "equipped_beneficiaries"
    return CommuneQuery(
        period=period,
        territory=territory,
        relay_id=relay_id,
        category=category,
        grouping=grouping or ReportGrouping.COMMUNE,
        with_zeros=with_zeros,
        sort=sort,
        descending=descending if descending is not None else sort not in ("name", "code"),
    )


def _collect(*checks):
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


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    epci_name: str | None
    department_code: str | None
    population: int | None
    equipped_beneficiaries: int
    handovers: int
    followups_done: int
    followup_rate: float | None
    per_thousand: float | None


@dataclass(frozen=True)
class CommuneTotals:
    """The whole selection; the population is the territory's (France when none is set)."""

    units: int
    equipped_beneficiaries: int
    handovers: int
    followups_done: int
    population: int
    followup_rate: float | None
    per_thousand: float | None


def _followup_done():
    return sa.exists().where(
        Appointment.handover_id == Handover.id, Appointment.status == AppointmentStatus.DONE
    )


def _handovers_in(query: CommuneQuery, *columns) -> sa.Select:
    """SELECT `columns` FROM the handovers of the report's period and filters."""
    statement = (
        sa.select(*columns)
        .select_from(Handover)
        .join(Commune, Commune.code == Handover.commune_code)
        .where(query.period.covers(Handover.handed_at), query.territory.where())
    )
    if query.relay_id is not None:
        statement = statement.where(Handover.relay_id == query.relay_id)
    if query.category is not None:
        statement = statement.join(Beneficiary, Beneficiary.id == Handover.beneficiary_id).where(
            Beneficiary.category == query.category
        )
    return statement


def _counts():
    """Equipped beneficiaries, handovers, follow-ups done: the three counted columns."""
    return (
        sa.func.count(sa.distinct(Handover.beneficiary_id)).label("equipped_beneficiaries"),
        sa.func.count(Handover.id).label("handovers"),
        sa.func.coalesce(sa.func.sum(sa.case((_followup_done(), 1), else_=0)), 0).label(
            "followups_done"
        ),
    )


def _units(query: CommuneQuery) -> sa.Subquery:
    """The places the rows are about: communes, EPCIs or départements of the territory,
    with their population (an EPCI's is the sum of its communes')."""
    where = query.territory.where()
    if query.grouping == ReportGrouping.COMMUNE:
        columns = (
            Commune.code.label("code"),
            Commune.name.label("name"),
            Commune.epci_name.label("epci_name"),
            Commune.department_code.label("department_code"),
            Commune.population.label("population"),
        )
        return sa.select(*columns).where(where).subquery("units")
    if query.grouping == ReportGrouping.EPCI:
        code = sa.func.coalesce(Commune.epci_code, NO_EPCI)
        columns = (
            code.label("code"),
            sa.func.coalesce(sa.func.max(Commune.epci_name), "Communes hors EPCI").label("name"),
            sa.func.max(Commune.epci_name).label("epci_name"),
            sa.func.min(Commune.department_code).label("department_code"),
        )
    else:
        code = Commune.department_code
        columns = (
            code.label("code"),
            sa.func.max(Commune.department_name).label("name"),
            sa.null().label("epci_name"),
            code.label("department_code"),
        )
    population = sa.cast(sa.func.sum(Commune.population), sa.Integer).label("population")
    return sa.select(*columns, population).where(where).group_by(code).subquery("units")


def _group_key(query: CommuneQuery):
    if query.grouping == ReportGrouping.EPCI:
        return sa.func.coalesce(Commune.epci_code, NO_EPCI)
    if query.grouping == ReportGrouping.DEPARTMENT:
        return Commune.department_code
    return Commune.code


def _rows_statement(query: CommuneQuery) -> sa.Select:
    key = _group_key(query)
    figures = _handovers_in(query, key.label("code"), *_counts()).group_by(key).subquery("figures")
    units = _units(query)
    equipped = sa.func.coalesce(figures.c.equipped_beneficiaries, 0)
    handovers = sa.func.coalesce(figures.c.handovers, 0)
    followups = sa.func.coalesce(figures.c.followups_done, 0)
    rate = sa.cast(followups, sa.Float) / sa.func.nullif(handovers, 0)
    per_thousand = sa.cast(equipped, sa.Float) * 1000 / sa.func.nullif(units.c.population, 0)
    columns = {
        "code": units.c.code,
        "name": units.c.name,
        "epci_name": units.c.epci_name,
        "department_code": units.c.department_code,
        "population": units.c.population,
        "equipped_beneficiaries": equipped.label("equipped_beneficiaries"),
        "handovers": handovers.label("handovers"),
        "followups_done": followups.label("followups_done"),
        "followup_rate": rate.label("followup_rate"),
        "per_thousand": per_thousand.label("per_thousand"),
    }
    statement = (
        sa.select(*columns.values())
        .select_from(units)
        .join(figures, figures.c.code == units.c.code, isouter=query.with_zeros)
    )
    order = columns[query.sort]
    order = order.desc() if query.descending else order.asc()
    return statement.order_by(order.nulls_last(), units.c.name, units.c.code)


def commune_rows(query: CommuneQuery, *, limit: int | None = None) -> list[CommuneRow]:
    """The rows, sorted by the database; all of them (a few hundred communes at most for a
    département with its zeros) unless `limit`."""
    statement = _rows_statement(query).limit(limit)
    return [CommuneRow(**row._asdict()) for row in db.session.execute(statement)]


def commune_totals(query: CommuneQuery, *, units: int) -> CommuneTotals:
    """Totals of the whole selection (`units`: its number of rows): distinct beneficiaries
    over all of it (a person equipped in two communes counts once), not the sum of the rows."""
    equipped, handovers, followups = db.session.execute(_handovers_in(query, *_counts())).one()
    population = query.territory.population()
    return CommuneTotals(
        units=units,
        equipped_beneficiaries=equipped,
        handovers=handovers,
        followups_done=followups,
        population=population,
        followup_rate=followups / handovers if handovers else None,
        per_thousand=equipped * 1000 / population if population else None,
    )


def open_data_rows(rows: list[dict], threshold: int) -> list[dict]:
    """The rows as published: a count from 1 to `threshold - 1` becomes "< threshold", and the
    rates computed from a masked count are left empty (they would give it back). Zeros stay:
    they say nobody was equipped, which identifies no one."""
    mask = f"< {threshold}"
    published = []
    for source in rows:
        row = dict(source)
        masked = {
            key
            for key in ("equipped_beneficiaries", "handovers", "followups_done")
            if 0 < row[key] < threshold
        }
        for key in masked:
            row[key] = mask
        if masked & {"handovers", "followups_done"}:
            row["followup_rate"] = None
        if "equipped_beneficiaries" in masked:
            row["per_thousand"] = None
        published.append(row)
    return published


def record_export(report: str, file_format: str, *, actor, filters: dict) -> None:
    """Every export is in the audit log (DESIGN.md §7): which report, which format, which
    filters (codes and dates only)."""
    audit.record(
        "report.export",
        "report",
        actor=actor,
        summary={"report": report, "format": file_format, "filters": filters},
    )


# The stock dashboard -------------------------------------------------------------------------

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


def _flow_of():
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
    flow = _flow_of().label("flow")
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


# Roadmap indicators (seed 000, fiches action n°2 and n°3) ------------------------------------


@dataclass(frozen=True)
class Indicators:
    # Fiche action n°2: equipping people in digital difficulty.
    beneficiaries_equipped: int
    relays_mobilised: int
    communes_reached: int
    handovers: int
    people_accompanied: int
    # Fiche action n°3: local companies.
    companies_engaged: int
    devices_given: int
    donations: int


def indicators(period: Period, territory: Territory = Territory()) -> Indicators:
    """The roadmap's indicators for a period and a territory.

    Handovers are placed by the beneficiary's commune of the day, follow-ups by the
    beneficiary's commune, companies by their own commune (a company of the territory).
    """
    handed = (
        sa.select(
            sa.func.count(sa.distinct(Handover.beneficiary_id)),
            sa.func.count(sa.distinct(Handover.relay_id)),
            sa.func.count(sa.distinct(Handover.commune_code)),
            sa.func.count(Handover.id),
        )
        .join(Commune, Commune.code == Handover.commune_code)
        .where(period.covers(Handover.handed_at), territory.where())
    )
    equipped, relays, communes, handovers = db.session.execute(handed).one()
    accompanied = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Appointment.beneficiary_id)))
        .join(Beneficiary, Beneficiary.id == Appointment.beneficiary_id)
        .join(Commune, Commune.code == Beneficiary.commune_code)
        .where(
            Appointment.status == AppointmentStatus.DONE,
            period.covers(Appointment.starts_at),
            territory.where(),
        )
    )
    donor_in_territory = sa.select(Organisation.id).where(
        Organisation.kind == OrganisationKind.DONOR
    )
    if territory:  # a donor whose commune is not known counts only everywhere
        donor_in_territory = donor_in_territory.join(
            Commune, Commune.code == Organisation.commune_code
        ).where(territory.where())
    start, end = period.start, period.end
    companies, donations = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Donation.donor_id)), sa.func.count(Donation.id)).where(
            Donation.declared_on.between(start, end),
            Donation.status != DonationStatus.CANCELLED,
            Donation.donor_id.in_(donor_in_territory),
        )
    ).one()
    given = db.session.scalar(
        sa.select(sa.func.count(Device.id))
        .join(Donation, Donation.id == Device.donation_id)
        .where(period.covers(Device.created_at), Donation.donor_id.in_(donor_in_territory))
    )
    return Indicators(
        beneficiaries_equipped=equipped,
        relays_mobilised=relays,
        communes_reached=communes,
        handovers=handovers,
        people_accompanied=accompanied,
        companies_engaged=companies,
        devices_given=given,
        donations=donations,
    )


# Donor impact --------------------------------------------------------------------------------


def donor_impact(donor: Organisation, period: Period) -> ImpactFigures:
    """What became of one donor's devices in the period: received at the workshop, became
    ready, recycled or dismantled, handed over (with the beneficiaries, communes and
    follow-ups behind those handovers); `in_progress` is today's count still in the chain.
    Aggregates only, never a person or a place."""
    own = (
        sa.select(Device.id)
        .join(Donation, Donation.id == Device.donation_id)
        .where(Donation.donor_id == donor.id)
    )
    given = db.session.scalar(
        sa.select(sa.func.count(Device.id))
        .join(Donation, Donation.id == Device.donation_id)
        .where(Donation.donor_id == donor.id, period.covers(Device.created_at))
    )
    flow = _flow_of().label("flow")
    flows = dict(
        db.session.execute(
            sa.select(flow, sa.func.count(sa.distinct(DeviceEvent.device_id)))
            .where(
                DeviceEvent.device_id.in_(own),
                DeviceEvent.to_status.in_((S.READY, S.RECYCLED, S.PARTS)),
                period.covers(DeviceEvent.at),
            )
            .group_by(flow)
        ).all()
    )
    in_progress = db.session.scalar(
        sa.select(sa.func.count(Device.id)).where(Device.id.in_(own), Device.status.in_(IN_STOCK))
    )
    handed = sa.select(
        sa.func.count(sa.distinct(Handover.device_id)),
        sa.func.count(sa.distinct(Handover.beneficiary_id)),
        sa.func.count(sa.distinct(Handover.commune_code)),
        sa.func.coalesce(sa.func.sum(sa.case((_followup_done(), 1), else_=0)), 0),
    ).where(Handover.device_id.in_(own), period.covers(Handover.handed_at))
    handed_over, equipped, communes, followups = db.session.execute(handed).one()
    return ImpactFigures(
        devices_given=given,
        reconditioned=flows.get("ready", 0),
        recycled=flows.get("recycled", 0),
        in_progress=in_progress,
        handed_over=handed_over,
        beneficiaries_equipped=equipped,
        communes_reached=communes,
        followups_done=followups,
    )
