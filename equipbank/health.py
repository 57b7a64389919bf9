"""The health figures: is the database up, the queue, the worker, the scheduler, the sweep.

Computed on demand by `/api/v1/health`, the Prometheus `/metrics` and the staff's
« État du service » page, so the three always tell the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from redis.exceptions import RedisError

from equipbank import jobs, transaction
from equipbank.extensions import db

_INLINE = {
    "queue": "inline",
    "worker": "inline",
    "workers": None,
    "scheduler": "inline",
    "scheduler_heartbeat_age_seconds": None,
    "last_sweep_age_seconds": None,
    "failed_jobs": None,
}


def report() -> tuple[dict[str, Any], bool]:
    """(the figures, whether every part that must run runs)."""
    database = _check(lambda: db.session.execute(sa.text("SELECT 1")))
    body: dict[str, Any] = {"database": database}
    if jobs.uses_redis():
        body |= _background()
        healthy = database == "ok" and all(
            body[part] == "ok" for part in ("queue", "worker", "scheduler")
        )
    else:  # jobs run inline after the commit; the sweep is run by cron
        body |= _INLINE
        healthy = database == "ok"
    body["unsent_reminders"] = _unsent_reminders() if database == "ok" else None
    body["status"] = "ok" if healthy else "error"
    return body, healthy


def _unsent_reminders() -> int | None:
    """Told, not a 503: a mail server down is the bank's to fix, and the app keeps trying."""
    from equipbank.appointments.reminders import unsent_reminders_count

    try:
        return unsent_reminders_count()
    except sa.exc.SQLAlchemyError:
        transaction.rollback()
        return None


def _background() -> dict[str, Any]:
    try:
        workers = jobs.live_workers()
        scheduler_age = jobs.beat_age("scheduler")
        sweep_age = jobs.beat_age("sweep")
        failed = jobs.failed_count()
    except RedisError:
        return {
            "queue": "error",
            "worker": "error",
            "workers": None,
            "scheduler": "error",
            "scheduler_heartbeat_age_seconds": None,
            "last_sweep_age_seconds": None,
            "failed_jobs": None,
        }
    scheduler_alive = scheduler_age is not None and scheduler_age < jobs.gone_after()
    return {
        "queue": "ok",
        "worker": "ok" if workers else "missing",
        "workers": workers,
        "scheduler": "ok" if scheduler_alive else "missing",
        "scheduler_heartbeat_age_seconds": _seconds(scheduler_age),
        "last_sweep_age_seconds": _seconds(sweep_age),
        "failed_jobs": failed,
    }


def _seconds(age: float | None) -> int | None:
    return None if age is None else int(age)


def _check(probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception:  # noqa: BLE001  any failure of a component is reported, not raised
        transaction.rollback()
        return "error"
    return "ok"
