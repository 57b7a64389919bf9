"""What people and monitors see when a part is down: the database, Redis, a background process."""

from __future__ import annotations

import pytest

from equipbank import create_app
from equipbank.codes import InventoryImportStatus, Role
from equipbank.donations.inventory import services as inventory
from equipbank.donations.models import InventoryImport
from equipbank.extensions import db
from tests import factories
from tests.conftest import IsolatedClient
from tests.donations.inventory.test_imports import cp1252_csv, upload
from tests.test_jobs import redis_of_the_test, throwaway_redis  # noqa: F401  (fixtures)

NOTHING_LISTENS = "127.0.0.1:1"


@pytest.fixture
def app_without_database(tmp_path):
    """The app, its database unreachable (stopped, restarting): nothing listens on port 1."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@{NOTHING_LISTENS}/x",
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "MAIL_OUTBOX": str(tmp_path),
        }
    )
    app.test_client_class = IsolatedClient
    return app


def test_a_signed_in_person_gets_a_french_503_page_while_the_database_is_down(
    app_without_database,
):
    client = app_without_database.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # signed in before the outage: the page loads them
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Service momentanément indisponible" in page
    assert "Rien n'a été enregistré" in page
    assert "Internal Server Error" not in page


def test_an_api_write_gets_a_json_503_while_the_database_is_down(app_without_database):
    client = app_without_database.test_client()
    response = client.post("/api/v1/tokens", auth=("relais@example.org", "mot de passe"))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert "base de données" in response.get_json()["error"]["message"]
    response = client.post(
        "/api/v1/donations", json={}, headers={"Authorization": "Bearer some-token"}
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_the_health_check_says_the_database_is_down(app_without_database):
    response = app_without_database.test_client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"], body["queue"]) == ("error", "error", "inline")


# Redis down: pages that read the queue say so in French, and nothing is written.


@pytest.fixture
def donor(auth):
    user = factories.user(Role.DONOR)
    auth.login(user)
    return user


@pytest.fixture
def redis_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://{NOTHING_LISTENS}/0")


def uploaded(client) -> int:
    return int(upload(client, cp1252_csv(5)).headers["Location"].rstrip("/").split("/")[-1])


def test_the_import_preview_shows_while_redis_is_down(client, donor, app, monkeypatch):
    record_id = uploaded(client)
    record = db.session.get(InventoryImport, record_id)
    inventory.MACHINE.write(record, InventoryImportStatus.IMPORTING)  # a job is running
    record.job_id = "a-job-of-the-queue"
    db.session.commit()
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://{NOTHING_LISTENS}/0")

    page = client.get(f"/dons/importer/{record_id}")
    assert page.status_code == 200
    assert "La file des tâches de fond ne répond pas" in page.text
    db.session.expire_all()
    assert db.session.get(InventoryImport, record_id).status == "importing"  # not released


def test_a_background_check_is_refused_with_nothing_written_while_redis_is_down(
    client, donor, app, monkeypatch
):
    record_id = uploaded(client)
    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 3)  # its check is a job
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://{NOTHING_LISTENS}/0")
    response = client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "rien n&#39;a été lancé" in page.text
    db.session.expire_all()
    record = db.session.get(InventoryImport, record_id)
    assert (record.status, record.job_id) == ("uploaded", None)


@pytest.mark.parametrize("path", ["/taches/{}", "/taches/{}.json", "/taches/{}/fichier"])
def test_job_pages_answer_503_in_french_while_redis_is_down(client, donor, redis_down, path):
    response = client.get(path.format("3f5ea012-bd28-4d10-992d-89b73e99500d"))
    assert response.status_code == 503
    assert "La file des tâches de fond ne répond pas" in response.get_data(as_text=True)


# The health check: database, Redis, the worker's and the scheduler's heartbeats, the sweep.

HEALTH_FIELDS = {
    "status",
    "database",
    "queue",
    "worker",
    "workers",
    "scheduler",
    "scheduler_heartbeat_age_seconds",
    "last_sweep_age_seconds",
    "queued_jobs",
    "failed_jobs",
    "unsent_reminders",
}


def test_health_without_redis_needs_no_worker_nor_scheduler(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == HEALTH_FIELDS
    assert (body["status"], body["queue"], body["worker"], body["scheduler"]) == (
        "ok",
        "inline",
        "inline",
        "inline",
    )


@pytest.mark.usefixtures("redis_of_the_test")
def test_health_is_503_while_no_worker_nor_scheduler_beats(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"], body["queue"]) == ("error", "ok", "ok")
    assert (body["worker"], body["workers"], body["scheduler"]) == ("missing", 0, "missing")
    assert (body["last_sweep_age_seconds"], body["queued_jobs"], body["failed_jobs"]) == (
        None,
        0,
        0,
    )


@pytest.mark.usefixtures("redis_of_the_test")
def test_health_is_ok_with_a_live_worker_and_scheduler_after_a_sweep(client, app):
    from equipbank import jobs
    from equipbank.appointments.tasks import sweep
    from equipbank.jobs.worker import AppScheduler, AppWorker

    worker = AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app)
    worker.register_birth()
    worker.heartbeat()
    AppScheduler(
        connection=jobs.redis_connection(),
        heartbeat_key=jobs.beat_key("scheduler"),
        heartbeat_seconds=jobs.heartbeat_seconds(),
    ).heartbeat()
    sweep()

    response = client.get("/api/v1/health")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["queue"], body["worker"], body["scheduler"]) == (
        "ok",
        "ok",
        "ok",
        "ok",
    )
    assert body["workers"] == 1 and body["failed_jobs"] == 0
    assert body["last_sweep_age_seconds"] <= 5 and body["scheduler_heartbeat_age_seconds"] <= 5


def test_health_says_when_redis_is_down(client, redis_down):
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["queue"], body["worker"], body["scheduler"]) == (
        "error",
        "error",
        "error",
        "error",
    )


def test_an_api_call_that_needs_redis_gets_a_json_503_while_it_is_down(app, redis_down):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from equipbank.errors import handle_queue_down

    with app.test_request_context("/api/v1/donations", method="POST"):
        body, status, headers = handle_queue_down(RedisConnectionError("refused"))
    assert (status, body["error"]["code"], headers["Retry-After"]) == (
        503,
        "service_unavailable",
        "30",
    )
