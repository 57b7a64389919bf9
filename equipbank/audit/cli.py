"""`flask audit verify`: walk the journal's hash chain; `flask audit truncate-ips`."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.audit import journal, services
from equipbank.extensions import db


@click.group("audit", help="Journal d'audit : vérifier la chaîne, tronquer les adresses IP.")
def audit_cli() -> None:
    pass


@audit_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Vérifier la chaîne des empreintes ; code de sortie 1 à la première ligne modifiée ou
    supprimée."""
    started = time.perf_counter()
    result = journal.verify(db.session())
    elapsed = time.perf_counter() - started
    db.session.rollback()  # read only
    if result.broken is not None:
        click.echo(
            f"Journal altéré après {result.rows} ligne(s) intacte(s) : {result.broken}.", err=True
        )
        sys.exit(1)
    click.echo(
        f"Journal intact : {result.rows} ligne(s) vérifiée(s) en {elapsed:.1f} s. "
        f"Dernière ligne {result.head_id or '-'}, empreinte {result.head_hash} "
        "(notez-la ailleurs : une suppression des dernières lignes se verra en la comparant)."
    )


@audit_cli.command("truncate-ips")
@with_appcontext
@transaction.unit_of_work
def truncate_ips() -> None:
    """Tronquer les adresses IP plus anciennes que AUDIT_IP_RETENTION_MONTHS (le ménage
    quotidien le fait aussi)."""
    changed = services.truncate_expired_ips()
    click.echo(f"{changed} adresse(s) IP tronquée(s).")
