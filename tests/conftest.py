"""Test fixtures: one database per session, built by the migrations, emptied after each test.

`DATABASE_URL` (PostgreSQL in CI) is used when set, else a SQLite file in a temporary folder.
The database behind `DATABASE_URL` is wiped: point it at a database kept for tests.
Tests see real commits (views commit, jobs commit, concurrent transactions), so isolation is
by emptying every table after each test rather than by a rolled-back outer transaction; the
commune referential is loaded once and kept.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from equipbank import create_app
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.geo import services as geo
from tests import factories

# GET /metrics is open with this bearer token in the suite (tests/test_metrics.py).
METRICS_TOKEN = "test-metrics-token"

REFERENCE_TABLES = {"communes", "commune_postal_codes", "alembic_version"}


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'equipbank-test.sqlite'}"


def reset_database(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, hence its
    own `g` (Flask-Login's current user) and its own database session, never the test's.

    Without this, requests reuse the app context the test pushed, and a second client would
    see the first one's logged-in user.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = database_url(tmp_path_factory)
    reset_database(url)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": os.environ.get("REDIS_URL") or None,
            "RQ_QUEUE": f"equipbank-test-{os.getpid()}",
            "MAIL_OUTBOX": str(tmp_path_factory.mktemp("outbox")),
            "METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        geo.load_referential()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield
        db.session.remove()
        empty_tables()


@pytest.fixture(autouse=True)
def _fresh_throttle_counters(app):
    """Throttling is on in the whole suite, as in production; each test starts with no
    counters. With Redis, `reset` deletes this run's keys only (TestingConfig's
    THROTTLE_KEY_PREFIX carries the process id)."""
    limiter = app.extensions["throttle"]
    if limiter.enabled:
        limiter.reset()
    yield
    if limiter.enabled:
        limiter.reset()


def empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The audit journal refuses DELETE but in a purge asked for (migration 45a5feafc11f).
            connection.execute(sa.text("SET LOCAL equipbank.allow_purge = 'on'"))
        for table in tables:
            connection.execute(table.delete())


def request_hook_modules(app) -> set[str]:
    """The modules of the functions the app runs before and after every request."""
    return {
        function.__module__
        for functions in (app.before_request_funcs, app.after_request_funcs)
        for function in functions.get(None, [])
    }


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user, password: str = factories.PASSWORD):
        return self._client.post("/login", data={"email": user.email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def relay_user():
    """A user of a relay organisation of its own, not logged in."""
    return factories.user(Role.RELAY)


@pytest.fixture
def advisor(relay_user):
    """Thomas Lambert, digital advisor at `relay_user`'s relay, mail at thomas@cnfs.example."""
    return factories.user(
        Role.ADVISOR,
        organisation_=relay_user.organisation,
        email="thomas@cnfs.example",
        name="Thomas Lambert",
    )


@pytest.fixture
def admin(auth):
    """A bank staff member with the admin right, logged in on `client`."""
    user = factories.user(Role.STAFF, is_admin=True)
    auth.login(user)
    return user


@pytest.fixture
def api_token(client):
    """A function giving a bearer header for a user, through POST /api/v1/tokens."""

    def issue(user, password: str = factories.PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/tokens", auth=(user.email, password))
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return issue


@pytest.fixture
def follow_job(client, runner):
    """The response of an action that may start a job: with Redis, a real rq worker runs the
    queue, then the progress page's next step is followed; inline, it is already done."""

    def follow(response):
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith("/taches/"):
            return response
        result = runner.invoke(args=["rq", "worker", "--burst"])
        assert result.exit_code == 0, result.output
        from urllib.parse import parse_qs, urlsplit

        following = parse_qs(urlsplit(location).query).get("next", [None])[0]
        return client.get(following) if following else client.get(location)

    return follow


@pytest.fixture
def count_queries(app):
    """`with count_queries() as statements:` lists the SQL statements the app's engine runs
    inside the block, the requests of the test client included (they share the engine)."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(connection, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


class MailCollector:
    """What the local SMTP server received, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on localhost (aiosmtpd); the app sends its mail there."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    collector.port = port
    yield collector
    controller.stop()
