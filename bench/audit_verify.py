"""Benchmark of issue 11, item 5: how fast `flask audit verify` walks the journal.

    .venv/bin/python bench/audit_verify.py [ROWS]

Runs on a fresh SQLite file, or on the database of DATABASE_URL (it is wiped: use a test
database). Builds ROWS chained audit events (100,000 by default; half of them with an IP
address) with bulk inserts, the hashes computed as `record` computes them at commit; times
1,000 events recorded the ordinary way, one commit each (the lock and the read of the last
row included); then times the verification of the whole chain, best of 3, and prints the rows
verified per second.
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from flask_migrate import upgrade

from equipbank import create_app
from equipbank.audit import journal
from equipbank.audit import services as audit
from equipbank.audit.models import GENESIS_HASH, AuditEvent
from equipbank.extensions import db

CHUNK = 5_000
ACTIONS = ("beneficiary.view", "device.intake", "handover.create", "report.export")


def build(rows: int) -> None:
    rng = random.Random(11)
    start = datetime.now(UTC) - timedelta(days=365)
    prev_id, prev_hash = None, GENESIS_HASH
    batch: list[dict] = []
    for n in range(1, rows + 1):
        ip = f"203.0.{rng.randrange(256)}.{rng.randrange(256)}" if n % 2 else None
        salt = secrets.token_hex(16) if ip else None
        row = {
            "id": n,
            "at": start + timedelta(seconds=n * 300),
            "actor_id": None,
            "action": ACTIONS[n % len(ACTIONS)],
            "subject_type": "beneficiaries",
            "subject_id": str(rng.randrange(1, 50_000)),
            "summary": {"fields": ["first_seen", "commune"], "n": n},
            "ip": ip,
            "ip_digest": journal.ip_digest(salt, ip) if salt and ip else None,
            "prev_id": prev_id,
            "prev_hash": prev_hash,
        }
        row["hash"] = journal.row_hash(**row)
        row["ip_salt"] = salt
        batch.append(row)
        prev_id, prev_hash = n, row["hash"]
        if len(batch) == CHUNK:
            db.session.execute(sa.insert(AuditEvent), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(AuditEvent), batch)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"SELECT setval('audit_events_id_seq', {rows})"))
    db.session.commit()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        if url.startswith("postgresql"):
            db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        started = time.perf_counter()
        build(rows)
        print(f"built {rows:,} rows in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        for n in range(1_000):
            audit.record("organisation.update", "organisations", summary={"n": n})
            db.session.commit()
        recorded = time.perf_counter() - started
        print(f"recorded 1,000 events, one commit each: {recorded:.2f} ms each")

        timings = []
        for _ in range(3):
            started = time.perf_counter()
            result = journal.verify(db.session())
            timings.append(time.perf_counter() - started)
            db.session.rollback()
            assert result.broken is None, result.broken
        best = min(timings)
        print(
            f"verified {result.rows:,} rows in {best:.2f} s (best of 3): "
            f"{result.rows / best:,.0f} rows/s"
        )
        db.engine.dispose()


if __name__ == "__main__":
    main()
