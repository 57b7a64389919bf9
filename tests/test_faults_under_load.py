"""Faults injected *during* a stream of work, not before it (issue 12): PostgreSQL restarted
while partner clients post handovers through a real HTTP server, Redis restarted while a real
worker and scheduler send reminders and handovers keep coming, the mail server failing in the
middle of a sweep. After each, every invariant holds (`tests/invariants.py`), and the work
asked for is there exactly once.

Each test prints one line starting with `fault under load:` (shown with `pytest -s`) giving
the invariant counts and what the clients met: requests made, 503 answered, retries...

PostgreSQL and Redis are servers of the tests' own, on spare ports; the suite's are never
stopped. Like `test_postgres_restart.py`, the module runs where PostgreSQL's binaries and Redis
are (CI has both).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Self

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from equipbank import create_app, jobs
from equipbank.api.models import IdempotencyKey
from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.audit.models import AuditEvent
from equipbank.clock import utcnow
from equipbank.codes import NotificationKind, Role
from equipbank.extensions import db
from equipbank.geo import services as geo
from equipbank.geo.build import COLUMNS
from equipbank.handovers.models import Handover
from tests import factories, invariants
from tests.appointments.test_reminders import calendar_of
from tests.conftest import MailCollector
from tests.test_jobs import ThrowawayRedis, start_command, wait_for
from tests.test_postgres_restart import BIN, throwaway_postgres

pytestmark = pytest.mark.skipif(
    BIN is None
    or not os.environ.get("REDIS_URL")
    or shutil.which("runuser") is None
    or shutil.which("redis-server") is None,
    reason="needs PostgreSQL's binaries and Redis (CI has both)",
)

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="a worker, a scheduler and a web server at once: PostgreSQL (CI)"
)


@pytest.fixture
def postgres():
    """A PostgreSQL server of the test's own, which it restarts (`test_postgres_restart.py`)."""
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
def redis(app, monkeypatch, tmp_path):
    """A redis-server of the test's own, which it restarts; the app's jobs go there."""
    server = ThrowawayRedis(tmp_path)
    server.start()
    monkeypatch.setitem(app.config, "REDIS_URL", server.url)
    yield server
    server.stop()


def report(test: str, **counts) -> None:
    print(f"fault under load: {test}: {json.dumps(counts, sort_keys=True)}")


# --- A stream of handovers: a real HTTP server, partner clients retrying with their key ------


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def serving(app) -> Iterator[tuple[str, int]]:
    """`app` behind a real threaded WSGI server on a spare port, as gunicorn would run it."""
    http_server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=http_server.serve_forever, name="wsgi", daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", http_server.server_port
    finally:
        http_server.shutdown()
        thread.join(10)
        http_server.server_close()


@dataclass
class Order:
    """One handover a partner tool wants made, with the key it sends on every try."""

    body: bytes
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    handover_id: int | None = None  # from the 201, first or replayed
    tries: int = 0
    lose_first_answer: bool = False  # the first try hangs up before the answer (a timeout)


@dataclass
class Tally:
    """What the clients met, counted across their threads."""

    requests: int = 0
    answers_lost: int = 0  # hung up before the answer, as after a client timeout
    created: int = 0  # 201, first answer
    replayed: int = 0  # 201 with Idempotent-Replayed: the first answer had been lost
    unavailable: int = 0  # 503
    in_progress: int = 0  # 409 idempotency_in_progress
    connection_errors: int = 0
    server_errors: int = 0  # 500
    unexpected: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, value: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + value)

    def summary(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "answers_lost": self.answers_lost,
            "created": self.created,
            "replayed": self.replayed,
            "answered_503": self.unavailable,
            "answered_409_in_progress": self.in_progress,
            "connection_errors": self.connection_errors,
            "answered_500": self.server_errors,
            "unexpected": len(self.unexpected),
            "retried": self.requests - self.created - self.replayed - len(self.unexpected),
        }


class HandoverClients:
    """`threads` partner clients posting `orders` to POST /api/v1/handovers, each order sent
    again with the same Idempotency-Key after a 503, a 409 idempotency_in_progress or a lost
    connection, as a partner tool would (sooner than Retry-After says: the test is short).
    Every `lose_every`-th order's first answer is lost: the client hangs up once its request
    is sent, as after a timeout, and sends it again."""

    MAX_TRIES = 200
    RETRY_PAUSE = 0.1

    def __init__(
        self,
        address,
        token: str,
        orders: list[Order],
        *,
        threads: int = 3,
        pace: float = 0.0,
        lose_every: int = 0,
    ):
        self.address = address
        self.pace = pace  # seconds each client waits between two orders
        self.token = token
        self.orders = orders
        for n, order in enumerate(orders, start=1):
            order.lose_first_answer = bool(lose_every) and n % lose_every == 0
        self.tally = Tally()
        self._next = iter(orders)
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"client {n}", daemon=True)
            for n in range(threads)
        ]

    def start(self) -> HandoverClients:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in self._threads), "clients still running"

    def _take(self) -> Order | None:
        with self._lock:
            return next(self._next, None)

    def _run(self) -> None:
        while (order := self._take()) is not None:
            try:
                self._send(order)
            except Exception as error:  # noqa: BLE001  (reported to the test, not lost in a thread)
                with self.tally.lock:
                    self.tally.unexpected.append((order.key, "exception", repr(error)))
            time.sleep(self.pace)

    def _send(self, order: Order) -> None:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": order.key,
        }
        for _ in range(self.MAX_TRIES):
            order.tries += 1
            self.tally.count("requests")
            connection = http.client.HTTPConnection(*self.address, timeout=20)
            try:
                connection.request("POST", "/api/v1/handovers", order.body, headers)
                if order.lose_first_answer and order.tries == 1:
                    self.tally.count("answers_lost")
                    continue  # hung up (closed below); the server goes on with the request
                response = connection.getresponse()
                status, replayed, body = (
                    response.status,
                    response.getheader("Idempotent-Replayed"),
                    response.read(),
                )
            except (OSError, http.client.HTTPException):
                self.tally.count("connection_errors")
                time.sleep(self.RETRY_PAUSE)
                continue
            finally:
                connection.close()
            answer = json.loads(body) if body.startswith(b"{") else {}
            code = answer.get("error", {}).get("code")
            if status == 201:
                order.handover_id = answer["id"]
                self.tally.count("replayed" if replayed == "true" else "created")
                return
            if status == 503 or (status == 409 and code == "idempotency_in_progress"):
                self.tally.count("unavailable" if status == 503 else "in_progress")
                time.sleep(self.RETRY_PAUSE)
                continue
            if status == 500:
                self.tally.count("server_errors")
            with self.tally.lock:
                self.tally.unexpected.append((order.key, status, body[:300]))
            return
        with self.tally.lock:
            self.tally.unexpected.append((order.key, "gave up", order.tries))

    @property
    def answered(self) -> int:
        return self.tally.created + self.tally.replayed


class Watch:
    """GET `path` every `every` seconds while the block runs, as a monitor does: how many
    answers of each status."""

    def __init__(self, address, path: str, every: float = 0.25):
        self.address, self.path, self.every = address, path, every
        self.statuses: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch {path}", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            connection = http.client.HTTPConnection(*self.address, timeout=20)
            try:
                connection.request("GET", self.path)
                response = connection.getresponse()
                response.read()
                self.statuses[response.status] += 1
            except (OSError, http.client.HTTPException):
                self.statuses["connection error"] += 1
            finally:
                connection.close()


def token_for(app, user) -> str:
    response = app.test_client().post("/api/v1/tokens", auth=(user.email, factories.PASSWORD))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def stock(relay_user, advisor, count: int, *, hours_ahead: float, reminders: bool) -> list[Order]:
    """`count` devices at the relay and as many people to give them to, committed; one
    order each, its follow-up `hours_ahead` hours from now (within 48 h: a reminder is due)."""
    from equipbank.requests import services as requests

    donation = factories.donation()
    devices = [factories.ready_device(donation) for _ in range(count)]
    # One request for them all (factories.at_relay makes one a device: seconds more).
    request = requests.create_request(
        requests.RequestData(category=devices[0].category, quantity=count), actor=relay_user
    )
    db.session.flush()
    requests.allocate(request, [device.tag for device in devices], actor=factories.user())
    for device in devices:
        requests.receive(device, actor=relay_user)
    db.session.commit()
    orders = []
    starts_at = (utcnow() + timedelta(hours=hours_ahead)).replace(microsecond=0)
    for n, device in enumerate(devices):
        person = factories.beneficiary(
            relay_user,
            **({"email": f"personne{n}@example.org", "email_reminders": True} if reminders else {}),
        )
        # Quarter-hour sessions one after the other: the advisor is never booked twice.
        followup = {
            "advisor": advisor.id,
            "starts_at": (starts_at + timedelta(minutes=15 * n)).isoformat(),
            "duration_minutes": 15,
            "location_type": "office",
            "place": "Salle 2",
        }
        body = {"device": device.tag, "beneficiary": person.id, "followup": followup}
        orders.append(Order(json.dumps(body).encode()))
    return orders


def handovers_exactly_once(orders: list[Order], tally: Tally) -> dict[str, int]:
    """Each order answered 201 once made, no handover twice, none half-written."""
    assert tally.unexpected == [], tally.unexpected
    assert tally.server_errors == 0
    answered = {order.key: order.handover_id for order in orders}
    assert None not in answered.values(), "an order never got its 201"
    handovers = db.session.execute(sa.select(Handover.id, Handover.device_id)).all()
    per_device = Counter(device_id for _id, device_id in handovers)
    assert set(per_device.values()) == {1}, "a device handed over twice"
    # One handover per key that got a 201 (first or replayed), and it is the one answered.
    assert sorted(answered.values()) == sorted(handover_id for handover_id, _ in handovers)
    appointments = Counter(
        db.session.scalars(
            sa.select(Appointment.handover_id).where(
                Appointment.handover_id.in_([handover_id for handover_id, _ in handovers])
            )
        )
    )
    assert set(appointments.values()) == {1}, "a handover with two first appointments"
    audited = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "handover.create")
    )
    keys = db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey))
    assert audited == len(handovers) == keys
    return {"orders": len(orders), "handovers": len(handovers), "idempotency_keys": keys}


# --- (a) PostgreSQL restarted in the middle of a stream of handovers -------------------------


def small_referential(tmp_path, *codes: str):
    """The communes the test needs, in the referential's own format: loading all ~35,000
    would cost the test seconds for nothing."""
    from equipbank.geo.build import DATA_FILE

    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as source:
        lines = [line for line in source if line.split(",", 1)[0] in codes]
    path = tmp_path / "communes.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as target:
        target.write(",".join(COLUMNS) + "\n" + "".join(lines))
    return path


@contextmanager
def commits_not_waiting_for_the_disk() -> Iterator[None]:
    """Seed the throwaway database fast (its disk is slow to sync); the stream that follows
    commits as production does, each commit on disk before its answer."""
    statement = "ALTER DATABASE postgres {} synchronous_commit"
    db.session.execute(sa.text(statement.format("SET") + " = off"))
    db.session.commit()
    db.engine.dispose()  # new connections read the setting
    try:
        yield
    finally:
        db.session.execute(sa.text(statement.format("RESET")))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_postgres_restarted_while_partners_post_handovers(postgres, tmp_path):
    started = time.monotonic()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": postgres.url,
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    with app.app_context():
        upgrade()
        geo.load_referential(small_referential(tmp_path, "06057"))
        db.session.commit()
        with commits_not_waiting_for_the_disk():
            relay_user = factories.user(Role.RELAY)
            advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
            orders = stock(relay_user, advisor, 60, hours_ahead=72, reminders=False)
            token = token_for(app, relay_user)
    ready = time.monotonic()

    restarts = 0
    with serving(app) as address:
        clients = HandoverClients(address, token, orders, threads=3, lose_every=4).start()
        for share in (0.25, 0.5, 0.75):  # three restarts, each with requests in flight
            wait_for(lambda share=share: clients.answered >= share * len(orders), 30)
            postgres.pg_ctl("restart")  # every connection is cut, transactions in flight too
            restarts += 1
        clients.join(60)
    with app.app_context():
        counts = invariants.check_all()
        made = handovers_exactly_once(orders, clients.tally)
        verified = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        db.session.remove()
        db.engine.dispose()
    assert clients.tally.unavailable + clients.tally.connection_errors > 0, "no fault was met"
    report(
        "postgres restart",
        restarts=restarts,
        **made,
        **clients.tally.summary(),
        **counts,
        seconds_setting_up=round(ready - started, 1),
        seconds=round(time.monotonic() - started, 1),
    )


# --- (b) and (c): a real worker and scheduler, sending reminders to a mail server -------------


class MailServer(MailCollector):
    """A real SMTP server that fails once told to, as one going down or overloaded does: from
    the moment it has accepted its `refuse_after`-th message, it answers that message's QUIT
    with 421 (closing) and each new message with 451 (try again later)."""

    def __init__(self):
        super().__init__()
        self.refuse_after: int | None = None
        self.refused = 0
        self.goodbyes_refused = 0

    @property
    def failing(self) -> bool:
        return self.refuse_after is not None and len(self.messages) >= self.refuse_after

    async def handle_DATA(self, server, session, envelope):
        if self.failing:
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server, session, envelope):
        if not self.failing:
            return "221 Bye"
        self.goodbyes_refused += 1
        return "421 4.3.2 Service shutting down"

    def reminders(self) -> Counter:
        """(appointment UID, address) of each reminder received: one each when all is well."""
        received = Counter()
        for message in self.messages:
            if message["Subject"].startswith("Rappel"):
                _method, event = calendar_of(message)
                received[(str(event["UID"]), message["To"])] += 1
        return received


@pytest.fixture
def mail_server(app, monkeypatch):
    """The SMTP server of `MailServer`; the worker started by the test sends its mail there."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    collector = MailServer()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in (("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", str(port))):
        monkeypatch.setenv(name, value)  # read by the worker's process
        monkeypatch.setitem(app.config, name, value if name == "MAIL_SERVER" else port)
    yield collector
    controller.stop()


@contextmanager
def worker_and_scheduler(app, tmp_path, redis_url: str) -> Iterator[tuple]:
    """`flask rq worker` and `flask rq scheduler` on the app's queue, sweeping every second."""
    queue = app.config["RQ_QUEUE"]
    worker, worker_log = start_command(app, tmp_path, redis_url, queue, "worker")
    scheduler, scheduler_log = start_command(app, tmp_path, redis_url, queue, "scheduler")
    try:
        yield worker, scheduler
    finally:
        for process in (scheduler, worker):
            process.terminate()
        for process in (scheduler, worker):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in (worker_log, scheduler_log):
            log.close()


def reminder_receipts() -> Counter:
    rows = db.session.execute(
        sa.select(NotificationReceipt.result, sa.func.count())
        .where(NotificationReceipt.kind == NotificationKind.REMINDER_48H)
        .group_by(NotificationReceipt.result)
    ).all()
    return Counter(dict(rows))


def every_reminder_sent_once(mail: MailServer) -> dict[str, int]:
    """Two reminders per scheduled appointment (the advisor, the person), each received once
    and its receipt `sent`."""
    db.session.expire_all()
    appointments = db.session.scalars(sa.select(Appointment.id)).all()
    received = mail.reminders()
    assert set(received.values()) == {1}, [key for key, n in received.items() if n > 1]
    assert len(received) == 2 * len(appointments)
    assert {uid for uid, _to in received} == {
        f"appointment-{appointment_id}@equipbank" for appointment_id in appointments
    }
    assert reminder_receipts() == Counter({"sent": 2 * len(appointments)})
    return {"appointments": len(appointments), "reminders_received": len(received)}


def swept() -> bool:
    """A sweep ran to its end (its beat is in Redis): the worker and the scheduler are up."""
    return jobs.redis_connection().get(jobs.beat_key("sweep")) is not None


def met_the_outage(log: str) -> int:
    """How many times a process said it met Redis down: our loop starting again
    (`keep_running`), or rq's own wait for Redis between two jobs (it retries by itself)."""
    return log.count("starting again") + log.count("could not connect to Redis instance")


@needs_postgres
def test_redis_restarted_while_reminders_go_out_and_handovers_come_in(
    app, tmp_path, redis, mail_server
):
    started = time.monotonic()
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
    orders = stock(relay_user, advisor, 30, hours_ahead=2, reminders=True)
    token = token_for(app, relay_user)
    db.session.remove()
    ready = time.monotonic()

    with worker_and_scheduler(app, tmp_path, redis.url) as (worker, scheduler):
        wait_for(swept, 60)  # two processes starting: slow on a busy machine
        with serving(app) as address, Watch(address, "/api/v1/health") as health:
            clients = HandoverClients(address, token, orders, threads=1, pace=0.2).start()
            # Reminders going out for the first handovers, more handovers coming: stop Redis.
            wait_for(lambda: clients.answered >= len(orders) // 3, 30)
            wait_for(lambda: len(mail_server.reminders()) >= 4, 30)
            redis.stop()
            made_before_the_stop = clients.answered
            for process in ("worker", "scheduler"):  # both met the outage
                log = tmp_path / f"{process}.log"
                wait_for(lambda log=log: met_the_outage(log.read_text()))
            made_while_down = clients.answered - made_before_the_stop
            redis.start()  # empty, as after a crash: --save ''
            clients.join(60)
        wait_for(lambda: len(mail_server.reminders()) >= 2 * len(orders), 30)
        time.sleep(2)  # two more sweeps: nothing more may go out
        alive = worker.poll() is None and scheduler.poll() is None

    assert alive, "the worker or the scheduler died"
    assert health.statuses[503] > 0 and 500 not in health.statuses, health.statuses
    made = handovers_exactly_once(orders, clients.tally)
    sent = every_reminder_sent_once(mail_server)
    counts = invariants.check_all()
    report(
        "redis restart",
        **made,
        **sent,
        handovers_before_redis_stopped=made_before_the_stop,
        handovers_while_redis_down=made_while_down,
        worker_outages_met=met_the_outage((tmp_path / "worker.log").read_text()),
        scheduler_outages_met=met_the_outage((tmp_path / "scheduler.log").read_text()),
        health_answers={str(status): n for status, n in sorted(health.statuses.items(), key=str)},
        **clients.tally.summary(),
        **counts,
        seconds_setting_up=round(ready - started, 1),
        seconds=round(time.monotonic() - started, 1),
    )


# --- (c) the mail server failing in the middle of a sweep, then recovering -------------------


def post_all(app, token: str, orders: list[Order]) -> None:
    client = app.test_client()
    for order in orders:
        response = client.post(
            "/api/v1/handovers",
            data=order.body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": order.key,
            },
        )
        assert response.status_code == 201, response.get_json()
        order.handover_id = response.get_json()["id"]


def reminder_attempts() -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(NotificationReceipt.attempts), 0)).where(
            NotificationReceipt.kind == NotificationKind.REMINDER_48H
        )
    )


@needs_postgres
def test_the_mail_server_fails_in_the_middle_of_a_sweep_then_recovers(
    app, tmp_path, redis, mail_server
):
    started = time.monotonic()
    relay_user = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
    orders = stock(relay_user, advisor, 20, hours_ahead=2, reminders=True)
    token = token_for(app, relay_user)
    ready = time.monotonic()
    first, later = orders[:15], orders[15:]
    post_all(app, token, first)  # 30 reminders due at the first sweep
    db.session.remove()
    mail_server.refuse_after = 10  # the 11th message of that sweep on: 451

    with worker_and_scheduler(app, tmp_path, redis.url) as (worker, scheduler):
        # The worker and the scheduler start (slow on a busy machine), then the first sweep.
        wait_for(lambda: mail_server.refused >= 2 * len(first) - 10, 60)
        post_all(app, token, later)  # due while the mail server still fails
        db.session.remove()
        wait_for(lambda: mail_server.refused >= 2 * len(orders) - 10 + 2, 30)  # probes
        refused_while_down = mail_server.refused
        failed = reminder_receipts()["failed"]
        mail_server.refuse_after = None  # the mail server is back
        wait_for(lambda: len(mail_server.reminders()) >= 2 * len(orders), 30)
        time.sleep(2)  # two more sweeps: nothing more may go out
        alive = worker.poll() is None and scheduler.poll() is None

    assert alive, "the worker or the scheduler died"
    sent = every_reminder_sent_once(mail_server)
    counts = invariants.check_all()
    report(
        "smtp failure",
        **sent,
        accepted_before_the_failure=10,
        quit_answered_421=mail_server.goodbyes_refused,
        refused_451=refused_while_down,
        receipts_failed_when_it_came_back=failed,
        reminder_attempts=reminder_attempts(),
        **counts,
        seconds_setting_up=round(ready - started, 1),
        seconds=round(time.monotonic() - started, 1),
    )
