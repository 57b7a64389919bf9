"""The `equipbank` console script: `equipbank demo` sets everything up and serves the app."""

from __future__ import annotations

import argparse
import os

from flask_migrate import upgrade

from equipbank import create_app


def demo(host: str, port: int) -> None:
    from equipbank import transaction
    from equipbank.demo import cli as demo_cli
    from equipbank.demo import seed as demo_seed
    from equipbank.demo import settings as demo_settings
    from equipbank.extensions import db
    from equipbank.geo import services as geo

    app = create_app()
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
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.host, args.port)
