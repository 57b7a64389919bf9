"""`flask geo load`: load or refresh the commune referential (idempotent)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.geo import services
from equipbank.geo.build import DATA_FILE, build


@click.group("geo", help="Référentiel des communes.")
def geo_cli() -> None:
    pass


@geo_cli.command("load")
@click.option(
    "--file", "path", type=click.Path(path_type=Path), default=DATA_FILE, show_default=True
)
@with_appcontext
@transaction.unit_of_work
def load(path: Path) -> None:
    """Charger ou mettre à jour les communes (une seconde exécution ne change rien)."""
    started = time.perf_counter()
    try:
        report = services.load_referential(path)
    except services.ReferentialError as error:
        raise click.ClickException(f"{error.message} Rien n'a été chargé.") from None
    seconds = time.perf_counter() - started
    click.echo(
        f"Communes : {report.inserted} ajoutées, {report.updated} mises à jour, "
        f"{report.unchanged} inchangées ; codes postaux : +{report.postal_codes_added} "
        f"-{report.postal_codes_removed} ({seconds:.1f} s)."
    )


@geo_cli.command("build")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def build_command(source: Path) -> None:
    """Reconstruire le fichier du référentiel depuis les fichiers Etalab de SOURCE."""
    count = build(source)
    click.echo(f"{count} communes et arrondissements écrits dans {DATA_FILE}.")
