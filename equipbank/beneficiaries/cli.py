"""`flask privacy retention`: anonymise the beneficiaries past the retention period;
`flask privacy housekeeping`: the daily housekeeping, for a cron line when there is no Redis."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.beneficiaries import retention


@click.group("privacy", help="Données personnelles des bénéficiaires (RGPD).")
def privacy_cli() -> None:
    pass


@privacy_cli.command("retention")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Compter seulement les personnes à anonymiser, sans rien changer.",
)
@with_appcontext
@transaction.unit_of_work
def retention_command(dry_run: bool) -> None:
    """Anonymiser les bénéficiaires sans activité depuis RETENTION_MONTHS mois."""
    click.echo(str(retention.apply_retention(dry_run=dry_run)))


@privacy_cli.command("housekeeping")
@with_appcontext
def housekeeping_command() -> None:
    """Le ménage quotidien : anonymiser les bénéficiaires arrivés au terme de leur durée de
    conservation, supprimer les fichiers expirés, tronquer les vieilles adresses IP du journal
    (à lancer une fois par jour depuis cron quand il n'y a pas de Redis)."""
    from equipbank.privacy.tasks import housekeeping

    click.echo(housekeeping())
