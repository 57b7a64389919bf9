"""LOG_FORMAT=json: one JSON object a line, with the request's figures, without personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.logging import default_handler

from equipbank import create_app, logs
from tests import factories

EMAIL = "jeanne.typed-at-login@example.org"


@pytest.fixture
def json_lines(app, monkeypatch):
    """What the JSON handler writes during the test, one parsed object a line."""
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        text = stream.getvalue()
        assert EMAIL not in text
        return [json.loads(line) for line in text.splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_login_attempt_is_logged_as_json_without_the_email_typed(client, app, json_lines):
    response = client.post(
        "/login?next=/beneficiaries?q=Dupont", data={"email": EMAIL, "password": "wrong"}
    )
    assert response.status_code == 200  # the form again, with its message
    with app.test_request_context("/login?email=" + EMAIL, method="POST"):
        app.logger.warning("login refused for %s", EMAIL)
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


def test_a_signed_in_request_logs_the_user_id_not_the_email(client, auth, json_lines):
    user = factories.user("relay", email=EMAIL)
    auth.login(user)
    client.get("/")
    last = [line for line in json_lines() if line["logger"] == "equipbank.request"][-1]
    assert last["user_id"] == user.id
    assert last["path"] == "/"


def test_an_exception_gives_its_type_and_frames_not_its_message(app, json_lines):
    try:
        raise ValueError(f"duplicate key {EMAIL}")
    except ValueError:
        logging.getLogger("equipbank.test").exception("failed")
    (line,) = json_lines()
    assert line["exception"] == "ValueError"
    assert "raise ValueError" in line["traceback"]


def test_log_format_json_puts_one_json_handler_on_the_root_logger(app):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "LOG_FORMAT": "json",
            }
        )
        added = [handler for handler in root.handlers if handler not in before]
        assert len(added) == 1
        assert isinstance(added[0].formatter, logs.JsonFormatter)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
        if default_handler not in app.logger.handlers:
            app.logger.addHandler(default_handler)


def test_an_unknown_log_format_is_refused(app):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"TESTING": True, "LOG_FORMAT": "xml"})
