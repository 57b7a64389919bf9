"""A backup is only one if it restores: pg_dump of the live database, pg_restore into a fresh
one, and the app serves the restored data with its journal intact (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from equipbank import create_app
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from tests import factories

URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql") or shutil.which("pg_dump") is None,
    reason="backups are PostgreSQL dumps (CI sets DATABASE_URL)",
)


def libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def restored_url():
    source = make_url(URL)
    name = f"{source.database}_restore_{os.getpid()}"
    target = source.set(database=name)
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield target.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_a_dump_restores_into_a_fresh_database_that_the_app_serves(tmp_path, restored_url):
    relay_user = factories.user(Role.RELAY)
    handover = factories.handover(relay_user)
    db.session.commit()
    # Read now: under the restored app, this session's lazy loads would use its database.
    person_id, last_name = handover.beneficiary_id, handover.beneficiary.last_name
    dump = tmp_path / "equipbank.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq(URL)], check=True
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(restored_url)}", dump],
        check=True,
    )

    restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": restored_url})
    with restored.app_context():
        person = db.session.get(Beneficiary, person_id)
        assert person is not None and person.last_name == last_name
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 1
        verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    client = restored.test_client()
    assert (
        client.post(
            "/login", data={"email": relay_user.email, "password": factories.PASSWORD}
        ).status_code
        == 302
    )
    assert client.get(f"/beneficiaires/{person_id}").status_code == 200
    with restored.app_context():  # its connections closed, so the database can be dropped
        db.session.remove()
        db.engine.dispose()
