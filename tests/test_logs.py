"""LOG_FORMAT=json: one JSON object a line, with the request's figures, without personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.logging import default_handler

from equipbank import create_app, logs
from equipbank.extensions import db
from tests import factories
from tests.conftest import AuthActions, IsolatedClient

EMAIL = "jeanne.typed-at-login@example.org"


@pytest.fixture
def json_app(app):
    """An app of its own with LOG_FORMAT=json (the suite's is text), on the same database;
    the root logger and Flask's handler are put back as they were afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    json_app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "RQ_QUEUE": app.config["RQ_QUEUE"],
            "LOG_FORMAT": "json",
        }
    )
    json_app.test_client_class = IsolatedClient
    yield json_app
    with json_app.app_context():
        db.engine.dispose()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    if default_handler not in app.logger.handlers:
        app.logger.addHandler(default_handler)


@pytest.fixture
def json_lines(json_app):
    """What the JSON handler writes during the test, one parsed object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        text = stream.getvalue()
        assert EMAIL not in text
        return [json.loads(line) for line in text.splitlines()]

    yield lines
    root.removeHandler(handler)


def test_a_login_attempt_is_logged_as_json_without_the_email_typed(json_app, json_lines):
    client = json_app.test_client()
    response = client.post(
        "/login?next=/beneficiaries?q=Dupont", data={"email": EMAIL, "password": "wrong"}
    )
    assert response.status_code == 200  # the form again, with its message
    with json_app.test_request_context("/login?email=" + EMAIL, method="POST"):
        json_app.logger.warning("login refused for %s", EMAIL)
    requests = [line for line in json_lines() if line["logger"] == "equipbank.request"]
    assert len(requests) == 1
    line = requests[0]
    assert {"time", "level", "logger", "message", "method", "path", "status", "duration_ms"} <= set(
        line
    )
    assert (line["method"], line["path"], line["status"]) == ("POST", "/login", 200)
    assert line["user_id"] is None
    refused = next(line for line in json_lines() if line["logger"] == "equipbank")
    assert refused["message"] == "login refused for [email]"
    assert refused["path"] == "/login"
    assert refused["level"] == "WARNING"


def test_a_signed_in_request_logs_the_user_id_not_the_email(json_app, json_lines):
    client = json_app.test_client()
    user = factories.user("relay", email=EMAIL)
    AuthActions(client).login(user)
    client.get("/")
    last = [line for line in json_lines() if line["logger"] == "equipbank.request"][-1]
    assert last["user_id"] == user.id
    assert last["path"] == "/"


def test_an_exception_gives_its_type_and_frames_not_its_message(json_lines):
    try:
        raise ValueError(f"duplicate key {EMAIL}")
    except ValueError:
        logging.getLogger("equipbank.test").exception("failed")
    (line,) = json_lines()
    assert line["exception"] == "ValueError"
    assert "raise ValueError" in line["traceback"]


def test_log_format_json_puts_one_json_handler_on_the_root_logger(json_app):
    added = [h for h in logging.getLogger().handlers if getattr(h, "equipbank_json", False)]
    assert len(added) == 1
    assert isinstance(added[0].formatter, logs.JsonFormatter)
    assert default_handler not in json_app.logger.handlers


def test_text_logs_write_no_line_per_request(app, client, caplog):
    assert app.config["LOG_FORMAT"] == "text"
    with caplog.at_level(logging.INFO, logger=logs.request_log.name):
        assert client.get("/login").status_code == 200
    assert not [record for record in caplog.records if record.name == logs.request_log.name]


def test_an_unknown_log_format_is_refused(app):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"TESTING": True, "LOG_FORMAT": "xml"})
