"""The processes behind `flask rq worker` and `flask rq scheduler`.

Each job runs in an application context of its own, so in a database session of its own,
removed when the job ends, success or failure: a connection lost to a database restart dies
with the job that met it, and the next job gets a fresh one from the pool (`pool_pre_ping`).
The worker beats four times in `WORKER_GONE_AFTER_SECONDS` (every 15 s), also while a job runs,
so a killed worker is known dead within that minute (`equipbank.jobs.worker_alive`). Both loops
outlive a Redis outage: they log, wait (1 s, 2 s, 4 s... up to `MAX_RETRY_DELAY`) and connect
again.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job
from rq.queue import Queue

from equipbank import jobs
from equipbank.extensions import db

MAX_RETRY_DELAY = 30.0

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """An rq worker running each job in its own app context and database session."""

    def __init__(self, *args, app: Flask, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        with app.app_context():
            self.heartbeat_seconds = jobs.heartbeat_seconds()
        self.stop_asked = False
        self._beating = threading.Event()
        self._beat_thread: threading.Thread | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                # Success or failure: the connection goes back to the pool, never kept
                # (or left idle in a transaction) until the next job.
                db.session.remove()

    def request_stop(self, signum, frame) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def bootstrap(self, *args, **kwargs) -> None:
        super().bootstrap(*args, **kwargs)
        self._beating.clear()
        self._beat_thread = threading.Thread(
            target=self._beat, name=f"heartbeat {self.name}", daemon=True
        )
        self._beat_thread.start()

    def _beat(self) -> None:
        # rq beats only between jobs; a job runs up to an hour: beat beside it.
        while not self._beating.wait(self.heartbeat_seconds):
            try:
                self.heartbeat()
            except RedisError as error:
                log.warning("rq worker %s: heartbeat failed (%s)", self.name, error)

    def teardown(self) -> None:
        # Stopped before the worker's key is deleted, so no beat brings it back.
        self._beating.set()
        if self._beat_thread is not None:
            self._beat_thread.join()
        try:
            super().teardown()
        finally:
            # With Redis down, rq's teardown fails before it stops its pubsub thread, which
            # would otherwise retry forever beside the worker of the next attempt.
            if self.pubsub_thread is not None and self.pubsub_thread.is_alive():
                self.pubsub_thread.stop()


class AppScheduler(CronScheduler):
    """rq's interval scheduler, beating into `heartbeat_key` every `heartbeat_seconds`."""

    def __init__(self, *args, heartbeat_key: str, heartbeat_seconds: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heartbeat_key = heartbeat_key
        self.heartbeat_seconds = heartbeat_seconds

    def heartbeat(self) -> None:
        super().heartbeat()
        jobs.record_beat(self.connection, self.heartbeat_key)

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), self.heartbeat_seconds)


def keep_running(
    run: Callable[[], bool], what: str, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Call `run` until it returns True (stopped on purpose); when it fails on Redis or leaves
    its loop for any other reason, log it, wait, and call it again."""
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            if run():
                return
            reason = "left its loop"
        except (RedisConnectionError, RedisTimeoutError) as error:
            reason = f"Redis unavailable: {error}"
        if time.monotonic() - started > MAX_RETRY_DELAY:
            delay = 1.0  # it ran a while: a new outage, not the same one
        log.warning("%s: %s; starting again in %.0f s", what, reason, delay)
        _default_signals()
        sleep(delay)
        delay = min(delay * 2, MAX_RETRY_DELAY)


def _default_signals() -> None:
    """Between two attempts, Ctrl+C and SIGTERM stop the process at once (rq's handlers,
    left installed, would talk to the Redis that is down)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
