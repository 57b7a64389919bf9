"""End-to-end benchmark of issue 3: import a 10,000-row inventory, print 1,000 labels.

    .venv/bin/python bench/import_and_labels.py [ROWS] [LABELS]

Runs on a fresh SQLite file, or on the database of DATABASE_URL (it is wiped: use a test
database). The import goes through the same services as the pages: upload (read the file),
check (every row, plus the serials against the devices already registered), then the
import, claimed and saved in one transaction. Targets: >= 2,000 rows/s; 1,000 labels < 10 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from equipbank import create_app
from equipbank.clock import utcnow
from equipbank.codes import OrganisationKind, Role
from equipbank.devices import services as devices
from equipbank.devices import tasks
from equipbank.donations.inventory import services as imports
from equipbank.donations.services import DonationInput
from equipbank.extensions import db
from equipbank.organisations.models import Organisation


def inventory_csv(rows: int) -> bytes:
    lines = ["Catégorie;Fabricant;Modèle;Numéro de série"]
    models = [
        ("Ordinateur portable", "Dell", "Latitude 5490"),
        ("Ordinateur fixe", "HP", "ProDesk 600 G4"),
        ("Écran", "Iiyama", "ProLite E2283"),
    ]
    for n in range(rows):
        category, brand, model = models[n % len(models)]
        lines.append(f"{category};{brand};{model};BENCH-{n:07d}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    label_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "INVENTORY_INLINE_MAX_ROWS": 10**9,
        }
    )
    with app.app_context(), app.test_request_context(base_url="https://equipbank.example.org"):
        if url.startswith("postgresql"):
            db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        donor = Organisation(kind=OrganisationKind.DONOR, name="Bench SA", validated_at=utcnow())
        workshop = Organisation(kind=OrganisationKind.REFURBISHER, name="Atelier")
        db.session.add_all([donor, workshop])
        db.session.flush()
        from equipbank.auth.services import create_user

        user = create_user(
            email="bench@example.org",
            name="Bench",
            role=Role.DONOR,
            organisation=donor,
            password="bench-password",
        )
        operator = create_user(
            email="op@example.org",
            name="Op",
            role=Role.REFURBISHER,
            organisation=workshop,
            password="bench-password",
        )
        db.session.commit()
        content = inventory_csv(rows)
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"inventory: {rows} rows, {len(content) / 1024:.0f} KiB (cp1252, ';')")

        started = time.perf_counter()
        record = imports.upload(donor, "parc.csv", content, actor=user)
        db.session.commit()
        uploaded = time.perf_counter()
        result = imports.run_check(record)
        db.session.commit()
        checked = time.perf_counter()
        imports.start_import(record)
        donation, _ = imports.import_donation(record, DonationInput(lines=[]), actor=user)
        db.session.commit()
        done = time.perf_counter()
        assert donation is not None and result.valid == rows and not result.errors
        total = done - started
        print(
            f"upload {uploaded - started:.2f} s · check {checked - uploaded:.2f} s · import {done - checked:.2f} s"
        )
        print(
            f"import end to end: {total:.2f} s = {rows / total:,.0f} rows/s (target >= 2,000 rows/s)"
        )

        ids = []
        for line in donation.lines:
            for serial in line.serials:
                if len(ids) == label_count:
                    break
                ids.append(
                    devices.intake(
                        donation,
                        devices.IntakeData(
                            category=line.category,
                            brand=line.brand,
                            model=line.model,
                            serial=serial,
                        ),
                        actor=operator,
                    ).id
                )
        db.session.commit()
        for layout in ("sheet_3x7", "single"):
            started = time.perf_counter()
            result_file = tasks.render_label_file(ids, layout, 0)
            seconds = time.perf_counter() - started
            print(
                f"{len(ids)} labels ({layout}): {seconds:.2f} s, {len(result_file['content']) / 1024:.0f} KiB (target < 10 s)"
            )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
