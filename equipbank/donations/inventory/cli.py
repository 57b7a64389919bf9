"""`flask imports purge`: forget the inventory files nobody imported."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.donations.inventory import services


@click.group("imports", help="Fichiers d'inventaire déposés par les donateurs.")
def imports_cli() -> None:
    pass


@imports_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Âge minimum des fichiers (par défaut : INVENTORY_UPLOAD_RETENTION_DAYS, 30).",
)
@with_appcontext
@transaction.unit_of_work
def purge(days: int | None) -> None:
    """Supprimer les fichiers jamais importés, déposés il y a plus de DAYS jours."""
    days = days or current_app.config["INVENTORY_UPLOAD_RETENTION_DAYS"]
    deleted = services.purge_abandoned(older_than_days=days)
    click.echo(f"{deleted} fichier(s) d'inventaire non importé(s) supprimé(s).")
