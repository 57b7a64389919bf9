"""The health figures: is the database up, the queue, the worker, the scheduler, the sweep.

One `Report`, computed on demand, is what `/api/v1/health` answers, what the Prometheus
`/metrics` exports and what the staff's « État du service » page shows, so the three always
tell the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from redis.exceptions import RedisError

from equipbank import jobs, transaction
from equipbank.extensions import db


@dataclass(frozen=True)
class Report:
    """What was found. A figure not known (no Redis, Redis down) is None, never a false 0.

    The parts are `ok` or `error`; `worker` and `scheduler` are also `missing` (no beat within
    a minute); without Redis the queue, worker and scheduler are `inline` (jobs run after the
    commit, cron runs the sweep) and only the database must run.
    """

    database: str
    queue: str = "inline"
    worker: str = "inline"
    workers: int | None = None
    scheduler: str = "inline"
    scheduler_heartbeat_age_seconds: int | None = None
    last_sweep_age_seconds: int | None = None
    queued_jobs: int | None = None
    failed_jobs: int | None = None
    unsent_reminders: int | None = None

    @property
    def healthy(self) -> bool:
        """Every part that must run runs (unsent reminders are told, not a failure)."""
        parts: tuple[str, ...] = (self.database,)
        if self.queue != "inline":
            parts += (self.queue, self.worker, self.scheduler)
        return all(part == "ok" for part in parts)

    @property
    def status(self) -> str:
        return "ok" if self.healthy else "error"


def report() -> Report:
    database = _database()
    unsent = _unsent_reminders() if database == "ok" else None
    if not jobs.uses_redis():
        return Report(database, unsent_reminders=unsent)
    try:
        workers = jobs.live_workers()
        scheduler_age = jobs.beat_age("scheduler")
        sweep_age = jobs.beat_age("sweep")
        queued, failed = jobs.job_counts()
    except RedisError:
        return Report(
            database, queue="error", worker="error", scheduler="error", unsent_reminders=unsent
        )
    return Report(
        database,
        queue="ok",
        worker="ok" if workers else "missing",
        workers=workers,
        scheduler="ok" if jobs.recent(scheduler_age) else "missing",
        scheduler_heartbeat_age_seconds=_seconds(scheduler_age),
        last_sweep_age_seconds=_seconds(sweep_age),
        queued_jobs=queued,
        failed_jobs=failed,
        unsent_reminders=unsent,
    )


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001  any failure of the database is reported, not raised
        transaction.rollback()
        return "error"
    return "ok"


def _unsent_reminders() -> int | None:
    """Told, not a 503: a mail server down is the bank's to fix, and the app keeps trying."""
    from equipbank.appointments.reminders import unsent_reminders_count

    try:
        return unsent_reminders_count()
    except sa.exc.SQLAlchemyError:
        transaction.rollback()
        return None


def _seconds(age: float | None) -> int | None:
    return None if age is None else int(age)
