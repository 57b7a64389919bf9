"""`flask demo seed`: the demo data of the Pays des Paillons."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.demo import seed as demo
from equipbank.geo import services as geo


@click.group("demo", help="Données de démonstration.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed")
@with_appcontext
@transaction.unit_of_work
def seed_command() -> None:
    """Créer les organisations, comptes et équipements de démonstration."""
    if not geo.referential_is_loaded():
        raise click.ClickException("Chargez d'abord les communes : flask geo load")
    if demo.is_seeded():
        raise click.ClickException("Les données de démonstration sont déjà présentes.")
    print_logins(demo.seed())


def print_logins(logins) -> None:
    click.echo(f"Comptes de démonstration (mot de passe : {demo.DEMO_PASSWORD}) :")
    for login in logins:
        click.echo(f"  {login.email:<32} {login.role.label} · {login.organisation}")
