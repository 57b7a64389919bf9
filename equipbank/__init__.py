"""equipbank: the Banque du Numérique's tracking of donated computers.

`create_app` builds the application in named steps; nothing happens at import time.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from equipbank import transaction
from equipbank.config import Config, config_from_environment

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class App(Flask):
    """Flask with one commit boundary: a view that returns has its work committed (then its
    side effects run, see `equipbank.transaction`); a view that raises has it rolled back
    before the error handlers answer. Views and services never commit.

    A commit that fails (a stale version, a unique constraint met) raises here, inside the
    request, so the error handlers answer it (409) like any other error.
    """

    def dispatch_request(self) -> ResponseReturnValue:
        response = super().dispatch_request()
        transaction.commit()
        return response

    def handle_user_exception(self, e: Exception) -> HTTPException | ResponseReturnValue:
        transaction.rollback()
        return super().handle_user_exception(e)


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app. `config` is a Config class, or a dict of overrides for tests."""
    app = App(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_relative_config=True,
    )
    configure(app, config)
    register_logging(app)
    register_extensions(app)
    register_metrics(app)
    register_converters(app)
    register_blueprints(app)
    register_throttling(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security(app)
    return app


def configure(app: Flask, config: type[Config] | dict | None) -> None:
    if isinstance(config, dict):
        overrides = config
        config_class = config_from_environment()
        if overrides.get("TESTING"):
            from equipbank.config import TestingConfig

            config_class = TestingConfig
    else:
        overrides = {}
        config_class = config or config_from_environment()
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.resolve(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.session_interface = NoApiSessionInterface()


class NoApiSessionInterface(SecureCookieSessionInterface):
    """No cookie session under /api/: the API authenticates with bearer tokens only, so a
    browser's session cookie can never be used to call it (no CSRF through the API)."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        from flask import request

        if request.path.startswith("/api/"):
            return None
        return super().save_session(app, session, response)


def register_extensions(app: Flask) -> None:
    from equipbank import jobs, models  # noqa: F401  (models: the whole schema, for migrations)
    from equipbank.auth import login as auth_login
    from equipbank.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    auth_login.init_login_manager(login_manager)
    jobs.init_app(app)
    transaction.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)


def _configure_sqlite(engine) -> None:
    """Foreign keys on, and wait for a lock rather than fail at once (two tabs, two workers)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_logging(app: Flask) -> None:
    """First: LOG_FORMAT=json formats every line that follows."""
    from equipbank import logs

    logs.init_app(app)


def register_metrics(app: Flask) -> None:
    """Before the blueprints: the latency is timed from before the access guard runs."""
    from equipbank import metrics

    metrics.init_app(app)


def register_converters(app: Flask) -> None:
    """`<int:...>` in a URL is an id: a number beyond the database's ids is a 404."""
    from werkzeug.routing import IntegerConverter

    from equipbank.db import MAX_ID

    class IdConverter(IntegerConverter):
        def __init__(self, url_map, **kwargs):
            super().__init__(url_map, min=1, max=MAX_ID, **kwargs)

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    from equipbank.api import init_api
    from equipbank.appointments.views import bp as appointments_bp
    from equipbank.audit.views import bp as audit_bp
    from equipbank.auth.admin_views import bp as users_bp
    from equipbank.auth.views import bp as auth_bp
    from equipbank.beneficiaries.views import bp as beneficiaries_bp
    from equipbank.devices.views import bp as devices_bp
    from equipbank.donations.inventory.views import bp as imports_bp
    from equipbank.donations.views import bp as donations_bp
    from equipbank.geo.views import bp as geo_bp
    from equipbank.handovers.views import bp as handovers_bp
    from equipbank.home.views import bp as home_bp
    from equipbank.jobs.views import bp as jobs_bp
    from equipbank.organisations.views import bp as organisations_bp
    from equipbank.privacy.views import bp as privacy_bp
    from equipbank.reports.views import bp as reports_bp
    from equipbank.requests.views import bp as requests_bp

    for blueprint in (
        auth_bp,
        home_bp,
        geo_bp,
        organisations_bp,
        users_bp,
        jobs_bp,
        donations_bp,
        imports_bp,
        devices_bp,
        requests_bp,
        reports_bp,
        beneficiaries_bp,
        handovers_bp,
        appointments_bp,
        privacy_bp,
        audit_bp,
    ):
        app.register_blueprint(blueprint)
    init_api(app)

    from equipbank.auth.permissions import declare_public, guard

    declare_public(app, "static")
    app.before_request(guard)


def register_throttling(app: Flask) -> None:
    """After the blueprints: the limits wrap the views that declared a throttle policy."""
    from equipbank import throttle

    throttle.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from equipbank.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from equipbank.appointments.cli import reminders_cli
    from equipbank.audit.cli import audit_cli
    from equipbank.auth.cli import users_cli
    from equipbank.beneficiaries.cli import privacy_cli
    from equipbank.demo.cli import demo_cli
    from equipbank.donations.inventory.cli import imports_cli
    from equipbank.geo.cli import geo_cli
    from equipbank.jobs.cli import rq_cli

    for group in (
        users_cli,
        geo_cli,
        demo_cli,
        rq_cli,
        imports_cli,
        reminders_cli,
        privacy_cli,
        audit_cli,
    ):
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    from equipbank import templating

    templating.init_app(app)


def register_security(app: Flask) -> None:
    from equipbank import security

    security.init_app(app)
