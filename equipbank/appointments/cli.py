"""`flask reminders send-due`: the sweep, for a cron line when there is no Redis (the daily
housekeeping has its own: `flask privacy housekeeping`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from equipbank.appointments import tasks


@click.group("reminders", help="Rappels, annulations et récapitulatifs par e-mail.")
def reminders_cli() -> None:
    pass


@reminders_cli.command("send-due")
@with_appcontext
def send_due() -> None:
    """Envoyer ce qui est dû (une seule fois chacun, même lancé deux fois) et supprimer les
    clés Idempotency-Key expirées ; le ménage quotidien : « flask privacy housekeeping »."""
    click.echo(tasks.sweep())
