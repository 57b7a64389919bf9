"""Background jobs: rq on Redis when `REDIS_URL` is set, inline otherwise.

Jobs are small idempotent functions (`<module>/tasks.py`) that receive ids and commit their own
work. Callers commit first, then enqueue: `enqueue` refuses to run beside uncommitted changes,
so a worker never looks for a row that is not there yet.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from equipbank.extensions import db

_UNCOMMITTED = "equipbank_uncommitted_writes"


@dataclass(frozen=True)
class JobState:
    id: str
    status: str  # queued, started, finished, failed
    progress: int = 0  # percent
    message: str = ""
    result: Any = None
    owner_id: int | None = None
    description: str = ""
    worker_name: str | None = None  # the worker that started it
    attempts: int = 1  # 2 and more: queued again by `retry`, its earlier runs abandoned

    @property
    def done(self) -> bool:
        return self.status in ("finished", "failed")


def init_app(app: Flask) -> None:
    """Track writes flushed but not yet committed, so `enqueue` can refuse to run beside them."""
    if not event.contains(Session, "after_flush", _mark_uncommitted):
        event.listen(Session, "after_flush", _mark_uncommitted)
        event.listen(Session, "after_commit", _clear_uncommitted)
        event.listen(Session, "after_rollback", _clear_uncommitted)


def _mark_uncommitted(session: Session, _context) -> None:
    session.info[_UNCOMMITTED] = True


def _clear_uncommitted(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


def has_uncommitted_writes() -> bool:
    session = db.session()
    return bool(session.new or session.dirty or session.deleted or session.info.get(_UNCOMMITTED))


_CLIENT = "equipbank-redis"


def redis_connection() -> Redis:
    """The app's Redis client, made at its first use: one connection pool for every request,
    job and health check of the app, instead of a connection opened per call.

    Kept with the URL it was made for: a new `REDIS_URL` (tests point the app at a redis-server
    of their own) gets a new client. A connection the server dropped (Redis restarted) is
    replaced by the pool at its next use, so a worker carries on with the same client.
    """
    url = current_app.config["REDIS_URL"]
    made = current_app.extensions.get(_CLIENT)
    if made is None or made[0] != url:
        # A Redis that does not answer is an error within seconds, not a request hanging.
        made = current_app.extensions[_CLIENT] = (
            url,
            Redis.from_url(url, socket_connect_timeout=5),
        )
    return made[1]


def queue():
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def uses_redis() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def enqueue(func: Callable[..., Any], *args: Any, owner=None, description: str = "") -> JobState:
    """Run `func(*args)` in the background (or now, inline, without Redis).

    `owner` (a user) is the only one who may follow the job and fetch its result.
    """
    if has_uncommitted_writes():
        raise RuntimeError("commit before enqueueing: the job would not see these changes")
    owner_id = getattr(owner, "id", None)
    if uses_redis():
        meta = {"owner_id": owner_id, "description": description, "progress": 0}
        # A result may be a file with personal data (labels, exports): kept no longer than
        # the setting, and a failure's traceback neither (rq keeps those a year by default).
        kept = current_app.config["JOB_RESULT_RETENTION_HOURS"] * 3600
        job = queue().enqueue(
            func, *args, job_timeout=3600, result_ttl=kept, failure_ttl=kept, meta=meta
        )
        return JobState(id=job.id, status="queued", owner_id=owner_id, description=description)
    result = func(*args)
    return JobState(
        id=f"inline-{uuid.uuid4()}",
        status="finished",
        progress=100,
        result=result,
        owner_id=owner_id,
        description=description,
    )


def report_progress(done: int, total: int, message: str = "") -> None:
    """Called by a running job; stored in the rq job's meta for progress bars."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = int(done * 100 / total) if total else 100
    job.meta["message"] = message
    job.save_meta()


def job_state(job_id: str) -> JobState | None:
    """The state of a job for a progress bar; None when unknown or expired."""
    if job_id.startswith("inline-") or not uses_redis():
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=True)
    status_code = getattr(status, "value", status)
    return JobState(
        id=job.id,
        status=status_code,
        progress=100 if status_code == "finished" else job.meta.get("progress", 0),
        message=job.meta.get("message", ""),
        result=job.return_value() if status_code == "finished" else None,
        owner_id=job.meta.get("owner_id"),
        description=job.meta.get("description", ""),
        worker_name=job.worker_name,
        attempts=job.meta.get("attempts", 1),
    )


def new_job_id() -> str:
    """An id for a job queued later (`retry(..., new_id=)`), to be saved before it is queued."""
    return str(uuid.uuid4())


def retry(job_id: str, *, new_id: str | None = None) -> JobState | None:
    """Queue again a job whose run was abandoned (its worker killed): same function,
    arguments, owner, description and delays, one more attempt in its meta; the old job is
    deleted from Redis and its registries, so it is never run or retried twice. None when
    Redis no longer knows the job.

    The job must be safe to run again: rq jobs are idempotent (DESIGN.md §4).
    """
    if has_uncommitted_writes():
        raise RuntimeError("commit before enqueueing: the job would not see these changes")
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    connection = redis_connection()
    try:
        old = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    assert old.func_name is not None  # rq stores every job with its function's path
    meta = {
        **old.meta,
        "attempts": old.meta.get("attempts", 1) + 1,
        "retry_of": old.id,
        "progress": 0,
        "message": "",
    }
    job = Queue(old.origin, connection=connection).enqueue_call(
        old.func_name,
        args=old.args,
        kwargs=old.kwargs,
        timeout=int(old.timeout) if old.timeout is not None else None,
        result_ttl=old.result_ttl,
        failure_ttl=old.failure_ttl,
        meta=meta,
        job_id=new_id,
    )
    old.delete()
    return JobState(
        id=job.id,
        status="queued",
        owner_id=meta.get("owner_id"),
        description=meta.get("description", ""),
        attempts=meta["attempts"],
    )


def gone_after() -> float:
    """Seconds without a beat after which a worker or the scheduler is taken for gone
    (`WORKER_GONE_AFTER_SECONDS`, a minute)."""
    return float(current_app.config["WORKER_GONE_AFTER_SECONDS"])


def heartbeat_seconds() -> float:
    """How often the worker and the scheduler beat: four beats missed, the process is gone
    (killed, its machine down), not just busy."""
    return gone_after() / 4


# A beat's time is kept this long: an old beat still tells its age (alerts on a stale one).
BEAT_KEPT = timedelta(days=30)


def recent(age: float | None) -> bool:
    """Whether a beat `age` seconds old (None: none) says its process is alive."""
    return age is not None and age < gone_after()


def worker_alive(name: str) -> bool:
    """Whether the rq worker `name` beat within `gone_after()` (it beats four times in that
    delay, also while a job runs): a killed worker is known dead within a minute."""
    from rq import Worker

    found = Worker.find_by_key(
        Worker.redis_worker_namespace_prefix + name, connection=redis_connection()
    )
    return found is not None and _worker_beats(found)


def live_workers() -> int:
    """How many workers of the app's queue beat recently."""
    from rq import Worker

    return sum(1 for found in Worker.all(queue=queue()) if _worker_beats(found))


def _worker_beats(worker) -> bool:
    beat = worker.last_heartbeat
    return beat is not None and recent(_age(beat))


def job_counts() -> tuple[int, int]:
    """(jobs waiting in the app's queue, failed jobs Redis still keeps:
    `JOB_RESULT_RETENTION_HOURS`)."""
    app_queue = queue()
    return app_queue.count, app_queue.failed_job_registry.count


def beat_key(name: str) -> str:
    return f"equipbank:{current_app.config['RQ_QUEUE']}:beat:{name}"


def beat(name: str) -> None:
    """Record in Redis that `name` (the scheduler, a successful sweep) happened now."""
    if uses_redis():
        record_beat(redis_connection(), beat_key(name))


def record_beat(connection: Redis, key: str) -> None:
    """The one way a beat is written (`beat`, and the scheduler's own connection)."""
    connection.set(key, time.time(), ex=BEAT_KEPT)


def beat_age(name: str) -> float | None:
    """Seconds since `beat(name)`, None when never (or not within `BEAT_KEPT`)."""
    # redis-py types a sync client's answers as possibly awaitable.
    value = cast("bytes | None", redis_connection().get(beat_key(name)))
    return max(0.0, time.time() - float(value)) if value is not None else None


def _age(moment: datetime) -> float:
    if moment.tzinfo is None:  # rq's timestamps are naive UTC
        moment = moment.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds()
