"""The unit of work: a request, a job or a command commits once, at its end, and only then
runs its side effects.

Services flush and never commit. What must happen only once their change is saved (a job to
queue, an email to send) they hand to `after_commit`; a rollback drops it with the change.
`commit()` is the one place that commits: the request boundary (`equipbank.App`), `unit_of_work`
around jobs and commands, and the few steps that must be saved before the next one (each says
why). A side effect that fails after the commit is logged, never turned into an error: the
change is saved, and the periodic sweep catches up with what did not go out.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from equipbank.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_AFTER_COMMIT = "equipbank_after_commit"

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Drop the side effects of a transaction that rolls back."""
    if not event.contains(Session, "after_soft_rollback", _drop_side_effects):
        event.listen(Session, "after_soft_rollback", _drop_side_effects)


def _drop_side_effects(session: Session, previous_transaction: SessionTransaction) -> None:
    # A savepoint rolled back (a claim lost to another worker) leaves the transaction alive.
    if not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT, None)


def after_commit(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call `func(*args, **kwargs)` once the current transaction is committed; never if it
    rolls back."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append((func, args, kwargs))


def commit() -> None:
    """Commit, then run the side effects queued during the transaction, in order."""
    session = db.session()
    session.commit()
    for func, args, kwargs in session.info.pop(_AFTER_COMMIT, []):
        try:
            func(*args, **kwargs)
        except Exception:
            # The change is saved: a queue or a mail server down must not turn it into an
            # error; what was not sent is caught up by the periodic sweep.
            log.exception("side effect %s failed after a commit", func.__qualname__)
            session.rollback()


def rollback() -> None:
    session = db.session()
    session.rollback()
    session.info.pop(_AFTER_COMMIT, None)  # also when nothing had reached the database yet


def unit_of_work(func: Callable[P, R]) -> Callable[P, R]:
    """Around a job or a command: commit what it did when it returns, roll back if it raises."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = func(*args, **kwargs)
        except BaseException:
            rollback()
            raise
        commit()
        return result

    return wrapper
