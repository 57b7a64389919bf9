"""`flask imports purge`: forget the inventory files nobody imported."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.donations.inventory import services


@click.group("imports", help="Fichiers d'inventaire déposés par les donateurs.")
def imports_cli() -> None:
    pass


@imports_cli.command("purge")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Âge minimum des fichiers.",
)
@with_appcontext
@transaction.unit_of_work
def purge(days: int) -> None:
    """Supprimer les fichiers jamais importés, déposés il y a plus de DAYS jours."""
    deleted = services.purge_abandoned(older_than_days=days)
    click.echo(f"{deleted} fichier(s) d'inventaire non importé(s) supprimé(s).")
