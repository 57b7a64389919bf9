"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from equipbank import create_app
from equipbank.extensions import db

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
MIGRATIONS = Path(__file__).parents[1] / "migrations"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each engine: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}", {}
        return
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("DATABASE_URL does not point at PostgreSQL (CI sets it)")
    schema = f"migration_check_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield POSTGRES_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models_and_go_down_and_up(empty_database):
    url, engine_options = empty_database
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        }
    )
    with app.app_context():
        upgrade()
        assert schema_differences() == []
        downgrade(revision="base", x_arg=["force=1"])
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_differences() == []
        db.engine.dispose()


def test_sqlite_keeps_autoincrement_on_devices_through_the_migrations(tmp_path):
    """SQLite rebuilds a table to alter it: without AUTOINCREMENT a deleted device's tag
    could be handed out again."""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tags.sqlite'}"}
    )
    with app.app_context():
        upgrade()
        ddl = db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'devices'"))
        assert "AUTOINCREMENT" in ddl
        db.engine.dispose()


def test_a_downgrade_that_would_lose_data_refuses_without_force(tmp_path, caplog):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'down.sqlite'}"}
    )
    with app.app_context():
        upgrade(revision=LAST_LOSING_DATA)
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error, then exits 1
            downgrade(revision="-1")
        assert "Restaurez plutôt la sauvegarde" in caplog.text
        assert current_revision() == LAST_LOSING_DATA  # refused before touching anything
        downgrade(revision="-1", x_arg=["force=1"])
        assert current_revision() != LAST_LOSING_DATA
        db.engine.dispose()


# The latest migration whose downgrade drops data (later ones, if any, only add indexes).
LAST_LOSING_DATA = "e718e10f2571"


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_outcomes_recorded_before_held_at_count_as_held_at_their_planned_time(tmp_path):
    """The migration that adds `appointments.held_at` fills it for the sessions done."""
    revision = "e718e10f2571"
    before = ScriptDirectory(str(MIGRATIONS)).get_revision(revision).down_revision
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'held.sqlite'}"}
    )
    with app.app_context():
        upgrade(revision=before)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no users or people here
            connection.execute(
                sa.text(
                    "INSERT INTO appointments (id, beneficiary_id, advisor_id, starts_at,"
                    " duration_minutes, location_type, status, calendar_sequence, topics,"
                    " outcome_duration_minutes, created_at, updated_at) VALUES"
                    " (1, 1, 1, :starts, 60, 'office', 'done', 0, '[]', 45, :starts, :starts),"
                    " (2, 1, 1, :starts, 60, 'office', 'no_show', 0, '[]', NULL, :starts, :starts)"
                ),
                {"starts": "2026-11-20 09:00:00.000000"},
            )
            connection.commit()
        upgrade(revision=revision)
        held = dict(db.session.execute(sa.text("SELECT id, held_at FROM appointments")).all())
        assert held == {1: "2026-11-20 09:00:00.000000", 2: None}
        db.session.remove()
        db.engine.dispose()
