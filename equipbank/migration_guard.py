"""Downgrades that would lose data refuse to run unless asked for explicitly.

A migration's `downgrade()` that drops columns or tables holding data calls `refuse_data_loss`
first: `flask db downgrade` stops with a message naming what would be lost and pointing to the
backup (docs/operations.md); `flask db downgrade -x force=1` runs it anyway.
"""

from __future__ import annotations

from alembic import context


def refuse_data_loss(what: str) -> None:
    if context.get_x_argument(as_dictionary=True).get("force") in ("1", "true", "yes"):
        return
    raise RuntimeError(
        f"Ce retour en arrière efface {what}. Restaurez plutôt la sauvegarde faite avant la "
        "mise à jour (docs/operations.md) ; pour l'exécuter quand même : "
        "flask db downgrade -x force=1"
    )
