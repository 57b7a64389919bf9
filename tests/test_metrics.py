"""GET /metrics: closed without METRICS_TOKEN, a bearer token otherwise, Prometheus text."""

from __future__ import annotations

import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from equipbank import create_app
from equipbank.extensions import db
from tests.conftest import METRICS_TOKEN, request_hook_modules

AUTHORIZED = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def samples(response) -> dict[tuple[str, tuple], float]:
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
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


def test_a_missing_multiprocess_folder_stops_the_app_at_start(app, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "METRICS_TOKEN": METRICS_TOKEN,
            }
        )


# Run by each process below: the app as a gunicorn worker builds it, then requests.
PROCESS = """
import sys
from equipbank import create_app
from equipbank.extensions import db

url, token, logins = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app(
    {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "METRICS_TOKEN": token}
)
client = app.test_client()
for _ in range(logins):
    assert client.get("/login").status_code == 200
if not logins:
    print(client.get("/metrics", headers={"Authorization": "Bearer " + token}).text)
"""


def test_with_a_multiprocess_folder_metrics_sum_the_processes(app, tmp_path):
    """As under gunicorn with two workers: each counts its own requests, and whichever
    answers /metrics gives the total."""
    import subprocess
    import sys

    from equipbank import PROJECT_ROOT

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def command(logins: int) -> list[str]:
        return [sys.executable, "-c", PROCESS, url, METRICS_TOKEN, str(logins)]

    workers = [subprocess.Popen(command(logins), cwd=PROJECT_ROOT, env=env) for logins in (3, 4)]
    for worker in workers:
        assert worker.wait(120) == 0
    scrape = subprocess.run(
        command(0),
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scrape.returncode == 0, scrape.stderr
    text = scrape.stdout
    found = parse(text)
    key = (
        "equipbank_request_duration_seconds_count",
        (("endpoint", "auth.login"), ("status", "200")),
    )
    assert found[key] == 7
    assert found[("equipbank_up", ())] == 1.0  # the health figures, read by the one scraping


def test_gunicorn_empties_the_folder_at_start_and_keeps_a_dead_workers_counts(
    tmp_path, monkeypatch
):
    import runpy
    from types import SimpleNamespace

    from equipbank import PROJECT_ROOT

    hooks = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    folder = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    hooks["on_starting"](SimpleNamespace())
    assert folder.is_dir()
    for name in ("histogram_123.db", "gauge_livesum_123.db", "histogram_456.db"):
        (folder / name).write_bytes(b"")
    hooks["child_exit"](SimpleNamespace(), SimpleNamespace(pid=123))
    # Its counts stay in the sum (a total never goes back); its live gauges leave with it.
    assert sorted(path.name for path in folder.iterdir()) == [
        "histogram_123.db",
        "histogram_456.db",
    ]
    hooks["on_starting"](SimpleNamespace())  # gunicorn started again: a new run
    assert not list(folder.iterdir())
