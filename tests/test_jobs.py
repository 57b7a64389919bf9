"""Background jobs: inline without Redis, through a real rq worker with it."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from rq.job import Job

from equipbank import jobs
from equipbank.audit import services as audit
from equipbank.audit.models import AuditEvent
from equipbank.extensions import db
from equipbank.organisations.models import Organisation
from tests import factories, invariants


def rename_organisation(organisation_id: int, name: str) -> str:
    """A job as later issues write them: ids in, commits its own work, reports progress."""
    organisation = db.session.get(Organisation, organisation_id)
    jobs.report_progress(1, 2, "renommage")
    organisation.name = name
    audit.record("organisation.rename", organisation, summary={"by": "job"})
    db.session.commit()
    return name


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_enqueue_refuses_to_run_beside_uncommitted_changes(app):
    organisation = factories.organisation()
    organisation.name = "pas encore enregistré"
    with pytest.raises(RuntimeError, match="commit before enqueueing"):
        jobs.enqueue(rename_organisation, organisation.id, "x")


def test_without_redis_a_job_runs_inline_after_the_commit(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    organisation = factories.organisation()
    state = jobs.enqueue(rename_organisation, organisation.id, "Clic & Déclic")
    assert state.status == "finished" and state.result == "Clic & Déclic"
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Clic & Déclic"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (CI sets it)")
def test_with_redis_a_worker_runs_the_job(app, runner):
    jobs.queue().empty()
    organisation = factories.organisation()
    before = audit_count()
    state = jobs.enqueue(rename_organisation, organisation.id, "Pimms Médiation")
    assert state.status == "queued"
    assert jobs.job_state(state.id).status == "queued"
    assert audit_count() == before  # nothing ran yet

    result = runner.invoke(args=["rq", "worker", "--burst"])
    assert result.exit_code == 0, result.output

    finished = jobs.job_state(state.id)
    assert (finished.status, finished.progress, finished.result) == (
        "finished",
        100,
        "Pimms Médiation",
    )
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Pimms Médiation"
    assert audit_count() == before + 1


def test_an_unknown_job_has_no_state(app):
    assert jobs.job_state("inline-123") is None


# A worker outliving what goes wrong around it: a database restart, a Redis outage, a kill.

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def backend_pid() -> int:
    """A job that reads and does not commit: its session holds a connection in a transaction."""
    return db.session.scalar(sa.text("SELECT pg_backend_pid()"))


def organisation_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def finished_result(job_id: str):
    job = Job.fetch(job_id, connection=jobs.redis_connection())
    assert job.get_status() == "finished", job.latest_result()
    return job.return_value()


@pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("REDIS_URL")),
    reason="pg_terminate_backend needs PostgreSQL, the worker Redis (CI sets both)",
)
def test_a_worker_runs_its_next_job_after_its_database_connection_was_killed(app, runner):
    """What a PostgreSQL restart does to the worker: its connection is cut between two jobs."""
    jobs.queue().empty()
    factories.organisation()
    db.session.commit()
    first = jobs.queue().enqueue(backend_pid)
    assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    pid = finished_result(first.id)

    killer = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with killer.begin() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()

    second = jobs.queue().enqueue(organisation_count)
    assert runner.invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    assert finished_result(second.id) == 1
    invariants.check_all()


def echo(value: str) -> str:
    return value


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float = 60.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"still false after {seconds} s: {condition}")


class ThrowawayRedis:
    """A redis-server of the test's own on a spare port, that the test stops and restarts."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess

        from redis import Redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
        )
        connection = Redis(port=self.port)
        wait_for(lambda: _answers(connection))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def _answers(connection) -> bool:
    from redis.exceptions import RedisError

    try:
        return bool(connection.ping())
    except RedisError:
        return False


@pytest.fixture
def throwaway_redis(tmp_path):
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH (it is in CI)")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def start_command(
    app,
    tmp_path,
    redis_url: str,
    queue_name: str,
    *command: str,
    flask_app: str = "wsgi.py",
    settings: dict[str, str] | None = None,
    log_name: str | None = None,
):
    """`flask rq <command>` in a process of its own, as in production (`flask_app`: the app
    it loads; `settings`: more environment variables)."""
    import subprocess
    import sys

    from equipbank import PROJECT_ROOT

    env = {
        **os.environ,
        "EQUIPBANK_CONFIG": "testing",
        "FLASK_APP": flask_app,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "RQ_QUEUE": queue_name,
        "SWEEP_INTERVAL_SECONDS": "1",
        **(settings or {}),
    }
    log = open(tmp_path / f"{log_name or '-'.join(command)}.log", "w")  # closed by the test
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "rq", *command],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log


def test_worker_and_scheduler_reconnect_when_redis_comes_back(app, tmp_path, throwaway_redis):
    import subprocess

    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(throwaway_redis.url)
    work = Queue("faults-work", connection=redis)
    cron_queue = Queue("faults-cron", connection=redis)  # sweeps queued, none run
    worker, worker_log = start_command(app, tmp_path, throwaway_redis.url, work.name, "worker")
    scheduler, scheduler_log = start_command(
        app, tmp_path, throwaway_redis.url, cron_queue.name, "scheduler"
    )
    try:
        before = work.enqueue(echo, "avant")
        wait_for(lambda: before.get_status(refresh=True) == "finished")
        wait_for(lambda: redis.get("equipbank:faults-cron:beat:scheduler"))

        throwaway_redis.stop()
        wait_for(lambda: "retrying" in (tmp_path / "worker.log").read_text(), 10)
        wait_for(lambda: "starting again" in (tmp_path / "scheduler.log").read_text(), 10)
        throwaway_redis.start()  # empty: --save ''

        after = work.enqueue(echo, "après")
        wait_for(lambda: after.get_status(refresh=True) == "finished")
        assert after.return_value() == "après"
        wait_for(lambda: redis.get("equipbank:faults-cron:beat:scheduler"))
        wait_for(lambda: cron_queue.count)  # the sweep is queued again
        assert worker.poll() is None and scheduler.poll() is None  # both still alive
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in (worker_log, scheduler_log):
            log.close()
    invariants.check_all()


@pytest.fixture
def redis_of_the_test(app, monkeypatch, throwaway_redis):
    """The app's jobs go to the throwaway redis-server, with or without REDIS_URL set."""
    monkeypatch.setitem(app.config, "REDIS_URL", throwaway_redis.url)
    return throwaway_redis


def heartbeat_age_after_a_second() -> float:
    """A job a second long: how old its worker's heartbeat is at its end."""
    import time

    from rq import Worker, get_current_job

    time.sleep(1.0)
    job = get_current_job()
    assert job is not None and job.worker_name
    worker = Worker.find_by_key(
        Worker.redis_worker_namespace_prefix + job.worker_name, connection=jobs.redis_connection()
    )
    assert worker is not None and worker.last_heartbeat is not None
    return jobs._age(worker.last_heartbeat)


def test_a_worker_beats_while_a_job_runs(app, redis_of_the_test, monkeypatch):
    from equipbank.jobs import worker as worker_module

    monkeypatch.setitem(app.config, "WORKER_GONE_AFTER_SECONDS", 0.8)  # a beat every 0.2 s
    job = jobs.queue().enqueue(heartbeat_age_after_a_second)
    rq_worker = worker_module.AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app)
    rq_worker.work(burst=True)
    assert finished_result(job.id) < 0.6


def started_by_a_worker_last_seen(app, job, heartbeat_seconds_ago: float) -> str:
    """What a worker does as it takes `job` (out of the queue, into rq's started registry,
    marked started by it), then nothing more: its last beat was that long ago. Its name."""
    from datetime import timedelta

    from rq.utils import utcformat

    from equipbank.clock import utcnow
    from equipbank.jobs.worker import AppWorker

    worker = AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app)
    worker.register_birth()
    jobs.queue().remove(job)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    seen = utcnow().replace(tzinfo=None) - timedelta(seconds=heartbeat_seconds_ago)
    jobs.redis_connection().hset(worker.key, "last_heartbeat", utcformat(seen))
    return worker.name


def test_a_retried_job_runs_again_with_its_arguments_owner_and_delays(app, redis_of_the_test):
    from equipbank.codes import Role
    from equipbank.jobs.worker import AppWorker

    owner = factories.user(Role.DONOR)
    db.session.commit()
    first = jobs.enqueue(echo, "encore", owner=owner, description="Écho")
    abandoned = Job.fetch(first.id, connection=jobs.redis_connection())
    started_by_a_worker_last_seen(app, abandoned, 90)
    assert jobs.job_state(first.id).status == "started"

    retried = jobs.retry(first.id)
    assert (retried.status, retried.attempts, retried.owner_id, retried.description) == (
        "queued",
        2,
        owner.id,
        "Écho",
    )
    job = Job.fetch(retried.id, connection=jobs.redis_connection())
    assert (job.func_name, job.args, job.timeout, job.result_ttl, job.failure_ttl) == (
        abandoned.func_name,
        ("encore",),
        abandoned.timeout,
        abandoned.result_ttl,
        abandoned.failure_ttl,
    )
    assert jobs.job_state(first.id) is None  # gone from Redis: never run nor retried again
    assert jobs.queue().started_job_registry.get_job_ids() == []
    assert jobs.queue().job_ids == [retried.id]

    AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app).work(burst=True)
    assert finished_result(retried.id) == "encore"
    assert jobs.job_state(retried.id).attempts == 2
    assert jobs.retry(first.id) is None  # unknown to Redis: nothing to queue again


def claimed_by_a_started_job(
    client, heartbeat_seconds_ago: float, *, rows: int = 5, attempts: int = 1
) -> int:
    """An upload being imported, as the import page leaves it (claimed, its `run_import` job
    queued), whose job a worker started and was last seen that long ago; `attempts`: the
    runs of that job so far. The upload's id."""
    from equipbank.auth.models import User
    from equipbank.donations import services as donations
    from equipbank.donations.inventory import services as inventory
    from equipbank.donations.inventory import tasks
    from equipbank.donations.models import InventoryImport
    from tests.donations.inventory.test_imports import cp1252_csv, upload

    response = upload(client, cp1252_csv(rows))
    record_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    record = db.session.get(InventoryImport, record_id)
    inventory.start_import(record)
    db.session.commit()
    owner = db.session.get(User, record.created_by_id)
    pickup = tasks.pickup_values(donations.DonationInput(lines=[], notes="Reprise"))
    state = jobs.enqueue(
        tasks.run_import, record_id, pickup, owner.id, owner=owner, description="Import"
    )
    job = Job.fetch(state.id, connection=jobs.redis_connection())
    job.meta["attempts"] = attempts
    job.save_meta()
    started_by_a_worker_last_seen(client.application, job, heartbeat_seconds_ago)
    record.job_id = job.id
    db.session.commit()
    return record_id


def import_of(record_id: int):
    from equipbank.donations.models import InventoryImport

    db.session.expire_all()
    return db.session.get(InventoryImport, record_id)


@pytest.mark.parametrize(
    ("heartbeat_seconds_ago", "attempts", "told", "status"),
    [
        (90, 1, "elle a été reprise automatiquement", "importing"),
        (5, 1, None, "importing"),
        (90, 3, "vous pouvez recommencer", "checked"),
    ],
    ids=["killed", "alive", "killed-a-third-time"],
)
def test_the_import_page_queues_again_an_import_whose_worker_stopped_beating(
    client, auth, redis_of_the_test, heartbeat_seconds_ago, attempts, told, status
):
    from equipbank.codes import Role

    auth.login(factories.user(Role.DONOR))
    record_id = claimed_by_a_started_job(client, heartbeat_seconds_ago, attempts=attempts)
    job_id = import_of(record_id).job_id
    page = client.get(f"/dons/importer/{record_id}")
    assert page.status_code == 200
    shown = [
        message
        for message in ("elle a été reprise automatiquement", "vous pouvez recommencer")
        if message in page.text
    ]
    assert shown == ([told] if told else [])
    record = import_of(record_id)
    assert record.status == status
    if told is None:  # alive: left to its worker
        assert record.job_id == job_id and jobs.job_state(job_id).status == "started"
    elif status == "importing":  # queued again, under a new id
        assert record.job_id != job_id and jobs.job_state(record.job_id).status == "queued"


def test_a_killed_import_is_queued_again_by_the_periodic_recovery_then_imported(
    client, auth, redis_of_the_test
):
    from equipbank.codes import Role
    from equipbank.donations.inventory.tasks import recover_imports, run_import
    from equipbank.donations.models import Donation
    from equipbank.jobs.worker import AppWorker

    donor = factories.user(Role.DONOR)
    auth.login(donor)
    record_id = claimed_by_a_started_job(client, heartbeat_seconds_ago=90, rows=12)
    killed = Job.fetch(import_of(record_id).job_id, connection=jobs.redis_connection())

    assert recover_imports() == "1 reprise(s), 0 libérée(s)"
    record = import_of(record_id)
    assert record.status == "importing" and record.job_id != killed.id
    queued = Job.fetch(record.job_id, connection=jobs.redis_connection())
    assert queued.func_name == f"{run_import.__module__}.run_import"
    assert (queued.args, queued.meta["attempts"], queued.meta["owner_id"]) == (
        killed.args,
        2,
        donor.id,
    )
    assert jobs.job_state(killed.id) is None
    retry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "inventory_import.retry")
    ).one()
    assert retry.summary["attempt"] == 2 and retry.summary["job_id"] == queued.id

    AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=client.application).work(
        burst=True
    )
    record = import_of(record_id)
    assert record.status == "imported" and record.content is None
    donation = db.session.scalars(sa.select(Donation)).one()  # one donation, not two
    assert record.donation_id == donation.id
    assert donation.declared_quantity == 12 and donation.notes == "Reprise"
    assert recover_imports() == "0 reprise(s), 0 libérée(s)"
    invariants.check_all()


def test_a_check_whose_worker_stopped_beating_is_queued_again_then_done(
    client, auth, redis_of_the_test, app, monkeypatch
):
    from equipbank.codes import Role
    from equipbank.donations.inventory.tasks import recover_imports
    from equipbank.jobs.worker import AppWorker
    from tests.donations.inventory.test_imports import cp1252_csv, upload

    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 3)
    auth.login(factories.user(Role.DONOR))
    record_id = int(upload(client, cp1252_csv(8)).headers["Location"].rstrip("/").split("/")[-1])
    started = client.post(
        f"/dons/importer/{record_id}/verification",
        data={"category": "0", "brand": "1", "model": "2", "serial": "3"},
    )
    assert started.headers["Location"].startswith("/taches/")  # a check job, queued
    job = Job.fetch(import_of(record_id).job_id, connection=jobs.redis_connection())
    started_by_a_worker_last_seen(app, job, 90)

    assert recover_imports() == "1 reprise(s), 0 libérée(s)"
    AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app).work(burst=True)
    record = import_of(record_id)
    assert (record.status, record.valid_rows, record.error_count) == ("checked", 8, 0)


def test_an_import_whose_worker_still_beats_is_left_alone(client, auth, redis_of_the_test):
    from equipbank.codes import Role
    from equipbank.donations.inventory.tasks import recover_imports

    auth.login(factories.user(Role.DONOR))
    record_id = claimed_by_a_started_job(client, heartbeat_seconds_ago=5)
    job_id = import_of(record_id).job_id
    assert recover_imports() == "0 reprise(s), 0 libérée(s)"
    record = import_of(record_id)
    assert (record.status, record.job_id) == ("importing", job_id)
    assert jobs.job_state(job_id).status == "started"


def test_an_import_abandoned_on_its_third_attempt_is_released(client, auth, redis_of_the_test):
    from equipbank.codes import Role
    from equipbank.donations.inventory.tasks import recover_imports

    auth.login(factories.user(Role.DONOR))
    record_id = claimed_by_a_started_job(client, heartbeat_seconds_ago=90, attempts=3)
    assert recover_imports() == "0 reprise(s), 1 libérée(s)"
    record = import_of(record_id)
    assert (record.status, record.job_id) == ("checked", None)  # to be imported again


def stop_all(processes) -> None:
    import subprocess

    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_in_the_middle_of_an_import_has_it_queued_again_and_done(
    client, auth, app, tmp_path, redis_of_the_test, monkeypatch
):
    """Issue 12: a killed import is retried within 2 minutes (60 s for the worker to be taken
    for gone, 60 s between two recoveries); here within 2 s + 1 s, with those settings."""
    import signal
    import time

    from equipbank.audit.models import AuditEvent
    from equipbank.codes import Role
    from equipbank.donations.models import Donation
    from tests.donations.inventory.test_imports import cp1252_csv, upload

    gone_after, interval = 2, 1
    settings = {
        "WORKER_GONE_AFTER_SECONDS": str(gone_after),
        "RECOVERY_INTERVAL_SECONDS": str(interval),
        "SWEEP_INTERVAL_SECONDS": "3600",  # the workers stay free for the import
    }
    monkeypatch.setitem(app.config, "INVENTORY_INLINE_MAX_ROWS", 10)
    auth.login(factories.user(Role.DONOR))
    record_id = int(upload(client, cp1252_csv(40)).headers["Location"].rstrip("/").split("/")[-1])
    queued = client.post(f"/dons/importer/{record_id}/import", data={})
    assert queued.headers["Location"].startswith("/taches/")  # a job, not run yet
    first_job = import_of(record_id).job_id

    marker = tmp_path / "mid-import"
    url, queue_name = redis_of_the_test.url, app.config["RQ_QUEUE"]
    started = time.monotonic()
    slow, slow_log = start_command(
        app,
        tmp_path,
        url,
        queue_name,
        "worker",
        flask_app="tests/slow_import_app.py",
        settings={**settings, "SLOW_IMPORT_MARKER": str(marker)},
        log_name="killed-worker",
    )
    processes, logs = [slow], [slow_log]
    try:
        wait_for(marker.exists, 60)  # the donation is written, not committed
        mid_import = time.monotonic()
        for command in ("scheduler", "worker"):
            process, log = start_command(app, tmp_path, url, queue_name, command, settings=settings)
            processes.append(process)
            logs.append(log)
        wait_for(lambda: jobs.live_workers() == 2 and jobs.beat_age("scheduler") is not None, 60)
        assert import_of(record_id).job_id == first_job  # its worker beats: left alone

        slow.send_signal(signal.SIGKILL)
        slow.wait(10)
        killed = time.monotonic()
        wait_for(lambda: import_of(record_id).status == "imported", 60)
        imported = time.monotonic()
    finally:
        stop_all(processes)
        for log in logs:
            log.close()

    print(
        f"kill test: worker up and mid-import after {mid_import - started:.1f} s, "
        f"imported {imported - killed:.1f} s after the kill, {imported - started:.1f} s in all"
    )
    assert imported - killed < gone_after + interval + 10  # not at the job's one-hour timeout
    record = import_of(record_id)
    donation = db.session.scalars(sa.select(Donation)).one()  # the killed run's never committed
    assert record.donation_id == donation.id and donation.declared_quantity == 40
    retry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "inventory_import.retry")
    ).one()
    assert retry.summary["abandoned_job_id"] == first_job and retry.summary["attempt"] == 2
    assert jobs.job_state(first_job) is None
    assert jobs.job_state(record.job_id).status == "finished"
    invariants.check_all()


def test_the_app_keeps_one_redis_client_per_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    first = jobs.redis_connection()
    assert jobs.redis_connection() is first
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:2/0")
    other = jobs.redis_connection()
    assert other is not first
    settings = other.connection_pool.connection_kwargs
    assert (settings["port"], settings["socket_connect_timeout"]) == (2, 5)


def test_health_checks_and_scrapes_reuse_one_redis_connection(client, redis_of_the_test):
    from redis import Redis

    from tests.test_metrics import AUTHORIZED

    server = Redis.from_url(redis_of_the_test.url)
    assert client.get("/api/v1/health").status_code == 503  # no worker: Redis is asked all
    opened = server.info("stats")["total_connections_received"]
    for _ in range(3):
        assert client.get("/api/v1/health").status_code == 503
        assert client.get("/metrics", headers=AUTHORIZED).status_code == 200
    assert server.info("stats")["total_connections_received"] == opened
