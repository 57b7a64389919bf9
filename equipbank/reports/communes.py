"""The per-commune report: equipped beneficiaries, handovers and follow-ups done per commune,
EPCI or département, with the totals of the selection and the open-data version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from equipbank.appointments.models import Appointment
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import AppointmentStatus, BeneficiaryCategory, OrganisationKind, ReportGrouping
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.period import (
    EVERYWHERE,
    Period,
    Territory,
    check_territory,
    check_together,
    exists,
)

NO_EPCI = ""  # the group of the few communes outside any EPCI (islands)

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
    territory: Territory = EVERYWHERE
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
        if relay_id is not None and not exists(
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

    period, territory, _ = check_together(
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


def followup_done():
    """The handover (of the outer query) has a follow-up appointment that took place."""
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
        sa.func.coalesce(sa.func.sum(sa.case((followup_done(), 1), else_=0)), 0).label(
            "followups_done"
        ),
    )


def _units(query: CommuneQuery) -> sa.Subquery:
    """The places the rows are about: communes, EPCIs or départements of the territory,
    with their population (an EPCI's is the sum of its communes')."""
    where = query.territory.where()
    columns: tuple[sa.Label[Any], ...]
    if query.grouping == ReportGrouping.COMMUNE:
        columns = (
            Commune.code.label("code"),
            Commune.name.label("name"),
            Commune.epci_name.label("epci_name"),
            Commune.department_code.label("department_code"),
            Commune.population.label("population"),
        )
        return sa.select(*columns).where(where).subquery("units")
    code: sa.ColumnElement[str] | InstrumentedAttribute[str]
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
    column = columns[query.sort]
    order = column.desc() if query.descending else column.asc()
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
