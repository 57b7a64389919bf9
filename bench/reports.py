"""Benchmark of issue 6: the reports on a large data set.

    .venv/bin/python bench/reports.py [HANDOVERS]

Runs on a fresh SQLite file, or on the database of DATABASE_URL (it is wiped: use a test
database; with BENCH_REUSE=1 a data set built before is kept, and the new migrations applied). Builds, with bulk inserts, HANDOVERS handovers (40,000 by default: ten years of a
departmental bank at twice today's pace) with their beneficiaries, devices, device events
and follow-up appointments, plus as many devices again still in stock or recycled, spread
over the communes of the Alpes-Maritimes (80 %) and the rest of France. Then times each
report as its page asks for it, best of 3. Target: every report under 1 s.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from flask_migrate import upgrade

from equipbank import create_app
from equipbank.appointments.models import Appointment
from equipbank.auth.models import User
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import today
from equipbank.codes import BeneficiaryCategory, OrganisationKind
from equipbank.devices.models import Device, DeviceEvent
from equipbank.donations.models import Donation
from equipbank.extensions import db
from equipbank.geo import services as geo
from equipbank.geo.models import Commune
from equipbank.handovers.models import Handover
from equipbank.organisations.models import Organisation
from equipbank.reports.communes import commune_query, commune_rows, commune_totals
from equipbank.reports.donors import donor_impact
from equipbank.reports.indicators import indicators
from equipbank.reports.period import EARLIEST, Period, Territory
from equipbank.reports.stock import stock_report

CHUNK = 5_000
YEARS = 10


def insert(model, rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in order (both engines return them)."""
    ids = []
    for start in range(0, len(rows), CHUNK):
        result = db.session.execute(
            sa.insert(model).returning(model.id), rows[start : start + CHUNK]
        )
        ids += [row[0] for row in result]
    return ids


def build(handovers: int) -> None:
    rng = random.Random(6)
    now = datetime.now(UTC)
    local = list(
        db.session.scalars(
            sa.select(Commune.code).where(
                Commune.department_code == "06", Commune.kind == "commune"
            )
        )
    )
    everywhere = list(db.session.scalars(sa.select(Commune.code).where(Commune.kind == "commune")))
    donors = insert(
        Organisation,
        [
            {
                "kind": OrganisationKind.DONOR,
                "name": f"Donateur {n}",
                "commune_code": rng.choice(local),
            }
            for n in range(300)
        ],
    )
    relays = insert(
        Organisation,
        [
            {
                "kind": OrganisationKind.RELAY,
                "name": f"Relais {n}",
                "commune_code": rng.choice(local),
            }
            for n in range(60)
        ],
    )
    bank = insert(Organisation, [{"kind": OrganisationKind.BANK, "name": "Banque"}])[0]
    advisor = insert(
        User,
        [
            {
                "email": "advisor@bench",
                "name": "Conseiller",
                "role": "advisor",
                "organisation_id": bank,
                "password_hash": "x",
            }
        ],
    )[0]
    donations = insert(
        Donation,
        [
            {
                "donor_id": rng.choice(donors),
                "declared_on": today() - timedelta(days=rng.randrange(365 * YEARS)),
                "status": "received",
            }
            for _ in range(4_000)
        ],
    )

    def moment(days_back: float) -> datetime:
        return now - timedelta(days=days_back)

    devices, events = [], []
    stories = []  # per handed-over device: (handed_at, relay)
    for n in range(handovers * 2):
        handed = n < handovers
        received_days = rng.uniform(20, 365 * YEARS)
        status = (
            "handed_over"
            if handed
            else rng.choice(
                ["received", "refurbishing", "ready", "recycled", "parts", "reserved", "at_relay"]
            )
        )
        devices.append(
            {
                "donation_id": rng.choice(donations),
                "category": rng.choice(["laptop", "laptop", "desktop", "tablet", "screen"]),
                "brand_key": "",
                "status": status,
                "grade": rng.choice(["A", "B", "C", None]),
                "status_changed_at": moment(received_days - 10),
                "created_at": moment(received_days),
                "updated_at": moment(received_days),
            }
        )
        stories.append((received_days, status))
    device_ids = insert(Device, devices)
    handed_at = []
    for device_id, (received_days, status) in zip(device_ids, stories, strict=True):
        ready_days = received_days - rng.uniform(3, 15)
        steps = [(None, "received", received_days), ("received", "refurbishing", received_days - 1)]
        if status in ("recycled", "parts"):
            steps.append(("refurbishing", status, received_days - 2))
        elif status not in ("received", "refurbishing"):
            steps.append(("refurbishing", "ready", ready_days))
            if status != "ready":
                steps += [
                    ("ready", "reserved", ready_days - 2),
                    ("reserved", "at_relay", ready_days - 4),
                ]
            if status == "handed_over":
                given = max(ready_days - rng.uniform(5, 40), 0.01)
                steps.append(("at_relay", "handed_over", given))
                handed_at.append((device_id, moment(given)))
        events += [
            {
                "device_id": device_id,
                "from_status": a,
                "to_status": b,
                "at": moment(days),
                "data": {},
            }
            for a, b, days in steps
        ]
    insert(DeviceEvent, events)

    people = insert(
        Beneficiary,
        [
            {
                "relay_id": rng.choice(relays),
                "first_name": "Bench",
                "last_name": f"Person {n}",
                "birth_year": rng.randrange(1935, 2008),
                "commune_code": rng.choice(local) if rng.random() < 0.8 else rng.choice(everywhere),
                "category": rng.choice(BeneficiaryCategory.codes()),
                "consent_at": now,
            }
            for n in range(int(handovers * 0.9))
        ],
    )
    communes = dict(
        db.session.execute(sa.select(Beneficiary.id, Beneficiary.commune_code)).tuples().all()
    )
    rows = []
    for n, (device_id, at) in enumerate(handed_at):
        person = people[n] if n < len(people) else rng.choice(people)
        rows.append(
            {
                "device_id": device_id,
                "beneficiary_id": person,
                "relay_id": rng.choice(relays),
                "handed_at": at,
                "commune_code": communes[person],
                "charter_accepted": True,
                "receipt_ref": f"REM-{n:08d}",
            }
        )
    handover_ids = insert(Handover, rows)
    insert(
        Appointment,
        [
            {
                "handover_id": handover_id,
                "beneficiary_id": row["beneficiary_id"],
                "advisor_id": advisor,
                "starts_at": row["handed_at"] + timedelta(days=7),
                "location_type": "office",
                "status": rng.choice(["done", "done", "done", "no_show", "scheduled"]),
                "outcome_duration_minutes": 60,
                "topics": [],
            }
            for handover_id, row in zip(handover_ids, rows, strict=True)
        ],
    )
    db.session.commit()
    print(
        f"data: {len(device_ids):,} devices, {len(events):,} events, {len(handover_ids):,} handovers, {len(people):,} beneficiaries"
    )


def timed(label: str, work) -> float:
    best = min(_once(work) for _ in range(3))
    print(f"  {label:<58} {best * 1000:7.0f} ms")
    return best


def _once(work) -> float:
    started = time.perf_counter()
    work()
    db.session.rollback()
    return time.perf_counter() - started


def commune_page(**filters):
    """What the per-commune page computes: the rows, the totals, the chart's top 20 when
    the table is sorted otherwise."""
    report = commune_query(**filters)
    rows = commune_rows(report)
    commune_totals(report, units=len(rows))
    if report.sort != "equipped_beneficiaries":
        commune_rows(replace(report, sort="equipped_beneficiaries", descending=True), limit=20)


def main() -> None:
    handovers = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        if os.environ.get("BENCH_REUSE") and db.session.scalar(
            sa.select(sa.func.count(Handover.id))
        ):
            upgrade()  # a data set built before: only the schema changes since are applied
        else:
            if url.startswith("postgresql"):
                db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.session.commit()
            upgrade()
            geo.load_referential()
            db.session.commit()
            started = time.perf_counter()
            build(handovers)
            print(f"built in {time.perf_counter() - started:.0f} s")
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        year = Period.calendar_year(today().year - 1)
        donor = db.session.scalar(
            sa.select(Organisation).where(Organisation.kind == OrganisationKind.DONOR)
        )
        results = [
            timed("communes, 12 months, whole country", commune_page),
            timed("communes, everything since 2000", lambda: commune_page(start=EARLIEST)),
            timed(
                "communes of the 06 with zeros, sorted by rate",
                lambda: commune_page(department="06", with_zeros=True, sort="followup_rate"),
            ),
            timed(
                "EPCI of the Paillons with zeros, one category",
                lambda: commune_page(epci="240600593", with_zeros=True, category="job_seeker"),
            ),
            timed(
                "by EPCI, everything since 2000",
                lambda: commune_page(start=EARLIEST, grouping="epci"),
            ),
            timed(
                "by département, everything since 2000",
                lambda: commune_page(start=EARLIEST, grouping="department"),
            ),
            timed("stock dashboard", stock_report),
            timed(
                "indicators, last year, Alpes-Maritimes",
                lambda: indicators(year, Territory(department="06")),
            ),
            timed(
                "donor impact, since 2000",
                lambda: donor_impact(donor, Period.of(EARLIEST)),
            ),
            timed(
                "commune export rows, everything since 2000",
                lambda: commune_rows(commune_query(start=EARLIEST)),
            ),
        ]
        print(f"slowest: {max(results) * 1000:.0f} ms (target < 1,000 ms)")


if __name__ == "__main__":
    main()
