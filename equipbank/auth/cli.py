"""`flask users create`: accounts from the command line (the first admin, scripts)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from equipbank import transaction
from equipbank.auth import services
from equipbank.codes import OrganisationKind, Role
from equipbank.errors import DomainError
from equipbank.extensions import db
from equipbank.organisations.models import Organisation


@click.group("users", help="Gérer les comptes utilisateurs.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Nom complet.")
@click.option("--role", type=click.Choice(Role.codes()), required=True)
@click.option(
    "--organisation", "organisation_name", required=True, help="Nom exact de l'organisation."
)
@click.option("--admin", is_flag=True, help="Administrateur des comptes (rôle staff).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Demandé à l'invite si absent.",
)
@with_appcontext
@transaction.unit_of_work
def create(email, name, role, organisation_name, admin, password) -> None:
    """Créer un compte."""
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == organisation_name)
    )
    if organisation is None and role == Role.STAFF and not _bank_exists():
        # First start in production: the bank's own organisation comes with its first admin.
        organisation = Organisation(kind=OrganisationKind.BANK, name=organisation_name)
        db.session.add(organisation)
        click.echo(f"Organisation « {organisation_name} » (Banque du Numérique) créée.")
    if organisation is None:
        raise click.ClickException(f"Organisation introuvable : {organisation_name!r}.")
    try:
        user = services.create_user(
            email=email,
            name=name,
            role=role,
            organisation=organisation,
            is_admin=admin,
            password=password,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Compte créé : {user.email} ({Role(role).label}, {organisation.name}).")


def _bank_exists() -> bool:
    query = sa.select(Organisation.id).where(Organisation.kind == OrganisationKind.BANK)
    return db.session.scalar(query) is not None
