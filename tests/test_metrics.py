"""GET /metrics: closed without METRICS_TOKEN, a bearer token otherwise, Prometheus text."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from equipbank import create_app
from equipbank.extensions import db
from tests.conftest import METRICS_TOKEN, request_hook_modules

AUTHORIZED = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def samples(response) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_are_a_404_without_the_setting(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics", headers=AUTHORIZED).status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code == 401


def test_metrics_give_the_health_figures_and_the_latency(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    response = client.get("/metrics", headers=AUTHORIZED)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found = samples(response)
    names = {name for name, _ in found}
    assert {"equipbank_up", "equipbank_database_up", "equipbank_unsent_reminders"} <= names
    assert found[("equipbank_database_up", ())] == 1.0
    assert found[("equipbank_up", ())] == 1.0


def test_a_request_is_counted_in_the_latency_histogram(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    key = (
        "equipbank_request_duration_seconds_count",
        (("endpoint", "auth.login"), ("status", "200")),
    )
    before = samples(client.get("/metrics", headers=AUTHORIZED)).get(key, 0.0)
    assert client.get("/login").status_code == 200
    after = samples(client.get("/metrics", headers=AUTHORIZED))[key]
    assert after == before + 1


def test_metrics_say_when_redis_is_down(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    found = samples(client.get("/metrics", headers=AUTHORIZED))
    assert found[("equipbank_redis_up", ())] == 0.0
    assert found[("equipbank_up", ())] == 0.0


def test_without_the_token_nor_json_logs_nothing_runs_around_the_requests(app):
    """No route, and no request timed for nobody."""
    closed = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "METRICS_TOKEN": None,
            "LOG_FORMAT": "text",
        }
    )
    assert not {"equipbank.timing", "equipbank.metrics", "equipbank.logs"} & request_hook_modules(
        closed
    )
    assert "metrics.metrics" not in closed.view_functions
    assert closed.test_client().get("/metrics", headers=AUTHORIZED).status_code == 404
    assert "equipbank.timing" in request_hook_modules(app)  # the suite's: metrics on
    with closed.app_context():
        db.engine.dispose()
