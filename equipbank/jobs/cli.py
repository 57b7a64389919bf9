"""`flask rq worker` and `flask rq scheduler`: the background processes (`jobs.worker`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("rq", help="File de tâches (Redis + rq).")
def rq_cli() -> None:
    pass


@rq_cli.command("worker")
@click.option("--burst", is_flag=True, help="Traiter la file puis s'arrêter.")
@with_appcontext
def worker(burst: bool) -> None:
    """Lancer un worker rq sur la file de l'application."""
    from redis.exceptions import RedisError

    from equipbank import jobs
    from equipbank.jobs.worker import AppWorker, keep_running

    if not jobs.uses_redis():
        raise click.ClickException(
            "REDIS_URL n'est pas défini : les tâches s'exécutent sans worker."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> bool:
        # SimpleWorker runs jobs in this process (no forked database connections), each in
        # an app context of its own; a new worker each attempt, registered afresh in Redis.
        rq_worker = AppWorker([jobs.queue()], connection=jobs.redis_connection(), app=app)
        current_app.logger.info("rq worker on queue %s", current_app.config["RQ_QUEUE"])
        try:
            rq_worker.work(burst=burst)
        except RedisError:
            if rq_worker.stop_asked:  # rq's stop handler itself met the Redis that is down
                return True
            raise
        return rq_worker.stop_asked

    if burst:
        run()
    else:
        keep_running(run, "rq worker")


@rq_cli.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Mettre dans la file, à intervalle régulier, la tournée périodique (rappels,
    récapitulatifs, ménage) et la reprise des imports interrompus."""
    from equipbank import jobs
    from equipbank.appointments.tasks import sweep
    from equipbank.donations.inventory.tasks import recover_imports
    from equipbank.jobs.worker import AppScheduler, keep_running
    from equipbank.privacy.tasks import housekeeping

    if not jobs.uses_redis():
        raise click.ClickException(
            "REDIS_URL n'est pas défini : lancez depuis cron « flask reminders send-due » "
            "(toutes les 10 minutes) et « flask privacy housekeeping » (une fois par jour)."
        )
    cron = AppScheduler(
        connection=jobs.redis_connection(),
        heartbeat_key=jobs.beat_key("scheduler"),
        heartbeat_seconds=jobs.heartbeat_seconds(),
    )
    config = current_app.config

    def every(job, **when) -> None:
        # On the app's queue; a failure's traceback may quote personal data (an address in a
        # mail error): kept no longer than a job's result, not rq's default year.
        cron.register(
            job,
            queue_name=config["RQ_QUEUE"],
            failure_ttl=config["JOB_RESULT_RETENTION_HOURS"] * 3600,
            **when,
        )

    every(sweep, interval=config["SWEEP_INTERVAL_SECONDS"])
    every(recover_imports, interval=config["RECOVERY_INTERVAL_SECONDS"])
    every(housekeeping, cron=config["HOUSEKEEPING_CRON"], job_timeout=3600)  # once a day

    def run() -> bool:
        cron.start()  # returns on Ctrl+C or SIGTERM; raises when Redis goes away
        return True

    keep_running(run, "rq scheduler")
