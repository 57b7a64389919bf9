"""One idiom for everything that has a status (devices, donations, requests, appointments,
inventory imports), first written for the devices (DESIGN.md §2).

Each owner declares a `StatusMachine`: its table of allowed moves (`Move`: from which
statuses, to which, with an optional guard and whether a reason is required). The machine
is the only writer of the status: the model's `validates("status")` hook calls
`refuse_other_writers`, so a stray `thing.status = ...` fails loudly. A move is checked
against the table (`InvalidTransition`, HTTP 409, never a no-op), then written: as an
attribute (`write`), or as a compare-and-set (`compare_and_set`: `UPDATE ... WHERE status =
<the status read>`) where two people may move the same thing at once. The owning module
records one event or audit row per move, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa

from equipbank.codes import LabelledEnum
from equipbank.errors import InvalidTransition, ValidationFailed
from equipbank.extensions import db

E = TypeVar("E", bound=LabelledEnum)

_writing: ContextVar[bool] = ContextVar("status_machine_writing", default=False)


def refuse_other_writers(thing: object, status: str) -> str:
    """For a model's `validates("status")`: only a status machine writes a status."""
    if not _writing.get():
        raise RuntimeError(f"{type(thing).__name__}.status is written by its status machine only")
    return status


@dataclass(frozen=True)
class Move(Generic[E]):
    sources: frozenset[E]
    target: E
    guard: Callable[[Any], None] | None = None
    needs_reason: bool = False


class StatusMachine(Generic[E]):
    """The table of moves of one kind of thing. `describe` names a thing in messages
    ("EB-000042", "Le don DON-2026-0042")."""

    def __init__(
        self, codes: type[E], moves: Iterable[Move[E]], *, describe: Callable[[Any], str]
    ) -> None:
        self.codes = codes
        self.moves = tuple(moves)
        self.describe = describe
        self._by_move = {
            (source, move.target): move for move in self.moves for source in move.sources
        }

    def rule_for(self, source: str, target: str) -> Move[E] | None:
        return self._by_move.get((self.codes(source), self.codes(target)))

    def next_statuses(self, current: str) -> list[E]:
        """The statuses the table allows from `current` (guards not evaluated)."""
        return [target for (source, target) in self._by_move if source == current]

    def check(self, thing: Any, target: str, *, reason: str | None = None) -> tuple[E, E]:
        """(source, target) when the table and the move's guard allow it; InvalidTransition
        (or ValidationFailed for a missing reason) otherwise."""
        try:
            wanted = self.codes(target)
        except ValueError:
            raise InvalidTransition(
                f"Statut inconnu : {target!r}.", code="unknown_status"
            ) from None
        source = self.codes(thing.status)
        move = self._by_move.get((source, wanted))
        if move is None:
            raise InvalidTransition(
                f"{self.describe(thing)} est « {source.label} » : "
                f"il ne peut pas passer « {wanted.label} ».",
            )
        if move.needs_reason and not (reason or "").strip():
            raise ValidationFailed(
                f"Indiquez la raison du passage de {self.describe(thing)} à « {wanted.label} ».",
                code="reason_required",
                fields={"reason": ["Raison obligatoire."]},
            )
        if move.guard is not None:
            move.guard(thing)
        return source, wanted

    def write(self, thing: Any, status: E) -> None:
        """Set the status attribute: a new thing's first status, or a checked move."""
        token = _writing.set(True)
        try:
            thing.status = status.value
        finally:
            _writing.reset(token)

    def compare_and_set(
        self,
        thing: Any,
        sources: E | Iterable[E],
        target: E,
        *,
        only_if: sa.ColumnElement[bool] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        """Write a move only if the row is still in `sources` (and `only_if`): when someone
        else moved it meanwhile, nothing is written and the person is told, on PostgreSQL
        and SQLite alike. The thing is read again afterwards."""
        allowed = {sources} if isinstance(sources, str) else set(sources)
        if any((source, target) not in self._by_move for source in allowed):
            raise ValueError(f"not in the table: {sorted(allowed)} -> {target}")
        model = type(thing)
        update = sa.update(model).where(model.id == thing.id, model.status.in_(allowed))
        if only_if is not None:
            update = update.where(only_if)
        # An UPDATE's result is a CursorResult, which has the row count; execute() says Result.
        changed = cast(
            sa.CursorResult[Any],
            db.session.execute(
                update.values(status=target.value, **(values or {})).execution_options(
                    synchronize_session=False
                )
            ),
        ).rowcount
        db.session.refresh(thing)
        if changed != 1:
            raise InvalidTransition(
                f"{self.describe(thing)} vient d'être modifié "
                f"(il est « {self.codes(thing.status).label} ») : rechargez la page.",
                code="concurrent_change",
            )
