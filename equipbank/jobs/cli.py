"""`flask rq worker`: an rq worker inside the application context."""

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
    from rq import SimpleWorker

    from equipbank import jobs

    if not jobs.uses_redis():
        raise click.ClickException(
            "REDIS_URL n'est pas défini : les tâches s'exécutent sans worker."
        )
    # SimpleWorker runs jobs in this process, inside the app context pushed by the CLI, so
    # jobs share no forked database connections with a parent.
    worker = SimpleWorker([jobs.queue()], connection=jobs.redis_connection())
    current_app.logger.info("rq worker on queue %s", current_app.config["RQ_QUEUE"])
    worker.work(burst=burst)


@rq_cli.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Mettre la tournée périodique (rappels, récapitulatifs, ménage) dans la file, à intervalle régulier."""
    from rq.cron import CronScheduler

    from equipbank import jobs
    from equipbank.appointments.tasks import sweep

    if not jobs.uses_redis():
        raise click.ClickException(
            "REDIS_URL n'est pas défini : lancez « flask reminders send-due » depuis cron."
        )
    cron = CronScheduler(connection=jobs.redis_connection())
    cron.register(
        sweep,
        queue_name=current_app.config["RQ_QUEUE"],
        interval=current_app.config["SWEEP_INTERVAL_SECONDS"],
    )
    cron.start()
