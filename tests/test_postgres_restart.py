"""A real PostgreSQL restart, on a server this test starts on a spare port (it may stop it, the
suite's own server is never touched): the same worker runs the next job, the app answers
again, and every invariant holds on the handovers made before the restart."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from equipbank import create_app, jobs
from equipbank.extensions import db
from equipbank.geo import services as geo
from equipbank.handovers.models import Handover
from tests import factories, invariants
from tests.test_jobs import finished_result as finished
from tests.test_jobs import organisation_count

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)

pytestmark = pytest.mark.skipif(
    BIN is None or not os.environ.get("REDIS_URL") or shutil.which("runuser") is None,
    reason="needs PostgreSQL's binaries and Redis (CI has both)",
)


def as_postgres(*command: str) -> None:
    """Run a server command as the postgres user: PostgreSQL refuses to run as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)


class ThrowawayPostgres:
    def __init__(self, root: Path):
        self.data = root / "data"
        self.log = root / "server.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
            shutil.chown(self.data, "postgres")
        # --no-sync: a throwaway cluster need not survive a power cut (seconds saved).
        as_postgres(
            f"{BIN}/initdb", "--no-sync", "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        as_postgres(
            f"{BIN}/pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", action
        )


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    # Not under pytest's tmp_path: the postgres user cannot enter root's private folders.
    root = Path(tempfile.mkdtemp(prefix="equipbank-pg-"))
    try:
        postgres = ThrowawayPostgres(root)
        postgres.create()
        postgres.pg_ctl("start")
        try:
            yield postgres
        finally:
            postgres.pg_ctl("stop")
    finally:
        shutil.rmtree(root)


@pytest.fixture
def server():
    with throwaway_postgres() as postgres:
        yield postgres


def test_after_a_real_postgres_restart_the_same_worker_and_the_app_carry_on(server):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": server.url,
            "REDIS_URL": os.environ["REDIS_URL"],
            "RQ_QUEUE": f"equipbank-restart-{os.getpid()}",
            "RATELIMIT_ENABLED": False,
        }
    )
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        geo.load_referential()
        db.session.commit()
        relay_user = factories.user("relay")
        for _ in range(5):
            factories.handover(relay_user)
        jobs.queue().empty()
        first = jobs.queue().enqueue(organisation_count)
        assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
        before = finished(first.id)

        server.pg_ctl("restart")  # every open connection is cut

        second = jobs.queue().enqueue(organisation_count)
        assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
        assert finished(second.id) == before
        db.session.remove()
        counts = invariants.check_all()
        assert counts["one_open_handover_per_handed_over_device"] >= 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 5
        db.session.remove()
    client = app.test_client()
    assert client.get("/api/v1/health").get_json()["database"] == "ok"
    with app.app_context():
        db.engine.dispose()
