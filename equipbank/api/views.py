"""GET /api/v1/health: is the app, its database, its queue and its background processes working."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from redis.exceptions import RedisError

from equipbank import jobs, transaction
from equipbank.auth.permissions import public
from equipbank.extensions import db

blp = Blueprint("api-health", __name__, url_prefix="/health", description="État du service")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or error when a part that must run fails"})
    database = fields.String()
    queue = fields.String(metadata={"description": "ok (Redis), inline (no Redis) or error"})
    worker = fields.String(
        metadata={"description": "ok (a worker beat within a minute), missing, inline or error"}
    )
    workers = fields.Integer(
        allow_none=True, metadata={"description": "rq workers that beat within a minute"}
    )
    scheduler = fields.String(
        metadata={
            "description": "ok (the scheduler beat within a minute), missing, inline or error"
        }
    )
    scheduler_heartbeat_age_seconds = fields.Integer(allow_none=True)
    last_sweep_age_seconds = fields.Integer(
        allow_none=True,
        metadata={"description": "since the periodic sweep last succeeded; null: not known"},
    )
    failed_jobs = fields.Integer(
        allow_none=True, metadata={"description": "failed jobs Redis still keeps"}
    )
    unsent_reminders = fields.Integer(
        allow_none=True,
        metadata={"description": "reminders of the last 7 days not sent before their appointment"},
    )


@blp.route("")
@public
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A part that must run is down")
@blp.doc(security=[])
def health():
    database = _check(lambda: db.session.execute(sa.text("SELECT 1")))
    body: dict[str, Any] = {"database": database}
    if jobs.uses_redis():
        body |= _background()
        healthy = database == "ok" and all(
            body[part] == "ok" for part in ("queue", "worker", "scheduler")
        )
    else:  # jobs run inline after the commit; the sweep is run by cron
        body |= {
            "queue": "inline",
            "worker": "inline",
            "workers": None,
            "scheduler": "inline",
            "scheduler_heartbeat_age_seconds": None,
            "last_sweep_age_seconds": None,
            "failed_jobs": None,
        }
        healthy = database == "ok"
    body["unsent_reminders"] = _unsent_reminders() if database == "ok" else None
    body["status"] = "ok" if healthy else "error"
    return body, 200 if healthy else 503


def _unsent_reminders() -> int | None:
    """Told, not a 503: a mail server down is the bank's to fix, and the app keeps trying."""
    from equipbank.appointments.reminders import unsent_reminders_count

    try:
        return unsent_reminders_count()
    except sa.exc.SQLAlchemyError:
        transaction.rollback()
        return None


def _background() -> dict[str, Any]:
    from equipbank.jobs.worker import GONE_AFTER

    try:
        jobs.redis_connection().ping()
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
    scheduler_alive = scheduler_age is not None and scheduler_age < GONE_AFTER.total_seconds()
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
