"""The per-commune report against counts made independently, in Python, from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.clock import PARIS, today
from equipbank.codes import OrganisationKind, Role
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.handovers import services as handovers
from equipbank.handovers.models import Handover
from equipbank.reports.communes import SORTS, commune_query, commune_rows, commune_totals
from equipbank.reports.period import EARLIEST, LATEST
from tests import factories

START = today() - timedelta(days=60)


@pytest.fixture
def varied():
    """Handovers across two départements and three EPCIs, three relays and two publics; before,
    in and after the period's edges; a person equipped twice after moving; a device given back."""
    relays = [
        factories.user(
            Role.RELAY, organisation_=factories.organisation(OrganisationKind.RELAY, name=name)
        )
        for name in ("BGE Côte d'Azur", "Fondation de Nice", "Secours populaire Var")
    ]
    advisor = factories.user(Role.ADVISOR)
    bge, fondation, var = relays

    def give(relay, commune, on, **fields):
        return factories.equipped(relay, commune=commune, on=on, advisor_=advisor, **fields)

    give(bge, "06057", START, followup_done=True)  # first day of the period
    give(bge, "06057", START - timedelta(days=1))  # the day before: out
    # Around midnight in Paris, which is not midnight in UTC: 00:30 is in, 23:30 the day
    # before is out (the period crosses the end of summer time, too).
    give(fondation, "06142", datetime.combine(START, time(0, 30), PARIS))
    give(fondation, "06142", datetime.combine(START - timedelta(days=1), time(23, 30), PARIS))
    give(fondation, "06057", START + timedelta(days=3), category="job_seeker")
    give(fondation, "06015", START + timedelta(days=10), followup_done=True, category="job_seeker")
    give(bge, "06088", START + timedelta(days=20), followup_done=True)  # Nice
    give(var, "83137", START + timedelta(days=25), category="young")  # Toulon (Var)
    moving = give(bge, "06091", START + timedelta(days=30), followup_done=True)
    person = moving.beneficiary
    person.commune_code = "06088"  # moved to Nice, equipped again there
    db.session.commit()
    give(bge, "06088", START + timedelta(days=40), beneficiary_=person)
    returned = give(fondation, "06019", today())  # last day of the period
    handovers.return_device(returned, reason="Écran cassé", actor=fondation)
    db.session.commit()
    return relays


def independent(
    *, key, start=START, end=None, relay=None, category=None, department=None, epci=None
):
    """{group: (equipped beneficiaries, handovers, follow-ups done)} from the raw rows."""
    end = end or today()
    groups = defaultdict(lambda: [set(), 0, 0])
    for handover in db.session.scalars(sa.select(Handover)):
        commune = db.session.get(Commune, handover.commune_code)
        day = handover.handed_at.astimezone(PARIS).date()
        if not start <= day <= end:
            continue
        if relay is not None and handover.relay_id != relay:
            continue
        if category is not None and handover.beneficiary.category != category:
            continue
        if (department and commune.department_code != department) or (
            epci and commune.epci_code != epci
        ):
            continue
        appointments = db.session.scalars(
            sa.select(Appointment).where(Appointment.handover_id == handover.id)
        )
        group = groups[getattr(commune, key) or ""]
        group[0].add(handover.beneficiary_id)
        group[1] += 1
        group[2] += any(appointment.status == "done" for appointment in appointments)
    return {code: (len(people), count, done) for code, (people, count, done) in groups.items()}


def reported(**kwargs) -> dict:
    report = commune_query(START, today(), **kwargs)
    return {
        row.code: (row.equipped_beneficiaries, row.handovers, row.followups_done)
        for row in commune_rows(report)
    }


def test_every_grouping_and_filter_matches_the_raw_rows(varied):
    bge, fondation, _var = varied
    cases = [
        ({}, {"key": "code"}),
        ({"grouping": "epci"}, {"key": "epci_code"}),
        ({"grouping": "department"}, {"key": "department_code"}),
        ({"department": "06"}, {"key": "code", "department": "06"}),
        ({"epci": "240600593"}, {"key": "code", "epci": "240600593"}),
        (
            {"relay_id": fondation.organisation_id},
            {"key": "code", "relay": fondation.organisation_id},
        ),
        (
            {"category": "job_seeker", "grouping": "epci"},
            {"key": "epci_code", "category": "job_seeker"},
        ),
        (
            {"relay_id": bge.organisation_id, "department": "06", "grouping": "department"},
            {"key": "department_code", "relay": bge.organisation_id, "department": "06"},
        ),
    ]
    for arguments, expected in cases:
        assert reported(**arguments) == independent(**expected), arguments
    # The data set does exercise what it should.
    assert independent(key="code")["06057"] == (2, 2, 1)
    assert independent(key="code")["06088"] == (2, 2, 1)
    assert independent(key="code")["06142"] == (1, 1, 0)


def test_totals_count_a_person_once_over_the_whole_selection(varied):
    report = commune_query(START, today())
    rows = commune_rows(report)
    totals = commune_totals(report, units=len(rows))
    in_period = [
        h
        for h in db.session.scalars(sa.select(Handover))
        if h.handed_at.astimezone(PARIS).date() >= START
    ]
    assert totals.handovers == len(in_period) == sum(row.handovers for row in rows)
    # The person who moved is in two rows (Peille and Nice) but one person.
    assert totals.equipped_beneficiaries == len({h.beneficiary_id for h in in_period})
    assert sum(row.equipped_beneficiaries for row in rows) == totals.equipped_beneficiaries + 1
    assert totals.followups_done == sum(row.followups_done for row in rows)
    assert totals.followup_rate == pytest.approx(totals.followups_done / totals.handovers)


def test_rates_and_population_per_group(varied):
    report = commune_query(START, today(), department="06", grouping="epci")
    nice_metropole = next(row for row in commune_rows(report) if row.code == "200030195")
    population = db.session.scalar(
        sa.select(sa.func.sum(Commune.population)).where(
            Commune.epci_code == "200030195", Commune.kind == "commune"
        )
    )
    assert nice_metropole.population == population  # the whole EPCI, not the communes reached
    assert nice_metropole.per_thousand == pytest.approx(
        nice_metropole.equipped_beneficiaries * 1000 / population
    )
    assert nice_metropole.followup_rate == pytest.approx(
        nice_metropole.followups_done / nice_metropole.handovers
    )
    totals = commune_totals(report, units=0)
    assert totals.population == db.session.scalar(
        sa.select(sa.func.sum(Commune.population)).where(
            Commune.department_code == "06", Commune.kind == "commune"
        )
    )


def test_sorting_is_done_by_the_database_on_every_column(varied):
    for sort in SORTS:
        for descending in (True, False):
            report = commune_query(
                START, today(), department="06", with_zeros=True, sort=sort, descending=descending
            )
            rows = commune_rows(report)
            values = [getattr(row, sort) for row in rows if getattr(row, sort) is not None]
            assert values == sorted(values, reverse=descending), (sort, descending)
            # Rows without a value (no handover: no rate) come last either way.
            present = [getattr(row, sort) is not None for row in rows]
            assert present == sorted(present, reverse=True), sort


def test_zeros_need_a_territory_and_list_all_its_communes(varied):
    with pytest.raises(ValidationFailed) as error:
        commune_query(START, today(), with_zeros=True)
    assert "with_zeros" in error.value.fields
    report = commune_query(START, today(), department="06", with_zeros=True)
    communes_06 = db.session.scalar(
        sa.select(sa.func.count()).where(Commune.department_code == "06", Commune.kind == "commune")
    )
    assert len(commune_rows(report)) == communes_06


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"start": date(2026, 5, 1), "end": date(2026, 1, 1)}, "to"),
        ({"start": date(1899, 1, 1)}, "from"),
        ({"end": date(9999, 12, 31)}, "to"),
        ({"department": "99"}, "department"),
        ({"epci": "123456789"}, "epci"),
        ({"department": "83", "epci": "240600593"}, "epci"),
        ({"grouping": "region"}, "grouping"),
        ({"sort": "password"}, "sort"),
        ({"category": "rich"}, "category"),
        ({"relay_id": 2**31 - 1}, "relay"),
    ],
)
def test_bad_parameters_name_the_field(arguments, field):
    with pytest.raises(ValidationFailed) as error:
        commune_query(**arguments)
    assert field in error.value.fields


def test_every_wrong_parameter_is_reported_at_once():
    with pytest.raises(ValidationFailed) as error:
        commune_query(date(2026, 5, 1), date(2026, 1, 1), "99", "1", category="rich")
    assert set(error.value.fields) == {"to", "department", "epci", "category"}


def test_a_huge_period_is_fine():
    report = commune_query(EARLIEST, LATEST)
    assert commune_rows(report) == []
    assert commune_totals(report, units=0).handovers == 0
