"""The `equipbank` console script: `equipbank demo` sets everything up and serves the app."""

from __future__ import annotations

import argparse
import os
import socket
import sys

import sqlalchemy as sa
from flask_migrate import upgrade

from equipbank import create_app


def port_taken(host: str, port: int) -> bool:
    """Whether the server could not listen there: checked before any set-up, so a taken port
    (5000 is often macOS's AirPlay receiver) costs a second, not a whole set-up."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the server will: a port left in TIME_WAIT by the previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def wipe(engine: sa.Engine) -> None:
    """Drop every table of the database (`equipbank demo --reset`): the demo starts again
    from an empty database, migrations and all."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    engine.dispose()


def demo(host: str, port: int, *, reset: bool = False) -> None:
    from equipbank import transaction
    from equipbank.demo import cli as demo_cli
    from equipbank.demo import seed as demo_seed
    from equipbank.demo import settings as demo_settings
    from equipbank.extensions import db
    from equipbank.geo import services as geo

    if port_taken(host, port):
        sys.exit(
            f"Le port {port} est déjà utilisé sur {host} (sur macOS, souvent par le récepteur "
            f"AirPlay). Relancez avec un autre port : equipbank demo --port {port + 1}"
        )
    if reset and os.environ.get("EQUIPBANK_CONFIG") == "production":
        sys.exit("--reset efface toute la base : refusé en production.")
    app = create_app()
    if reset:
        with app.app_context():
            print(f"Remise à zéro de {db.engine.url.render_as_string(hide_password=True)}")
            wipe(db.engine)
    # Emails sent by the demo's reminders link back to the address it serves on, unless a
    # BASE_URL was given (development's default is flask run's address, not the demo's).
    app.config["BASE_URL"] = os.environ.get("BASE_URL") or f"http://{host}:{port}"
    # The bank its documents print: the demo's, unless the environment names one.
    app.config.update(demo_settings.bank_identity(os.environ))
    with app.app_context():
        print(f"Base de données : {db.engine.url.render_as_string(hide_password=True)}")
        upgrade()
        if not geo.referential_is_loaded():
            print("Chargement des communes…")
            geo.load_referential()
            # Saved on their own: a demo that fails to seed does not load them again.
            transaction.commit()
        if not demo_seed.is_seeded():
            demo_seed.seed()
            transaction.commit()  # saved before the server starts serving it
        demo_cli.print_logins(demo_seed.LOGINS)
    print(f"\nequipbank : http://{host}:{port}/  (Ctrl+C pour arrêter)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="equipbank", description="equipbank, Banque du Numérique")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="créer ou mettre à jour la base, charger communes et démo, servir l'app"
    )
    demo_parser.add_argument("--host", default="127.0.0.1")
    demo_parser.add_argument("--port", type=int, default=5000)
    demo_parser.add_argument(
        "--reset",
        action="store_true",
        help="effacer toute la base (toutes ses données) et repartir de la démo d'origine",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.host, args.port, reset=args.reset)
