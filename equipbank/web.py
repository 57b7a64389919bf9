"""What views share: one unit of work, committed, or refused with the service's own words.

Views call a service inside one of these; the service flushes, the helper commits once or
rolls back, so a refused action never leaves anything half-written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import flash, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from equipbank.errors import DomainError, concurrent_change
from equipbank.extensions import db
from equipbank.forms import Form, show_domain_error

T = TypeVar("T")


def commit_or_show(form: Form, operation: Callable[[], T]) -> T | None:
    """Run a service on a submitted form's data and commit. When the service refuses, roll
    back and show why on the form's fields; returns None then."""
    try:
        result = operation()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return None
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        show_domain_error(form, concurrent_change(error))
        return None
    return result


def commit_and_flash(operation: Callable[[], object], done: str) -> bool:
    """A button's action (validate, deactivate, close...): commit and say it is done, or roll
    back and say why not. Returns whether it was done."""
    try:
        operation()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        flash(concurrent_change(error).message, "error")
        return False
    flash(done, "success")
    return True


@dataclass(frozen=True)
class ListPage:
    """One page of a list already computed (a report's rows): what the pagination macro
    reads, for the page asked for in the query string (kept within the list)."""

    rows: Sequence[Any]
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.rows) / self.per_page))

    @property
    def page(self) -> int:
        return min(max(request.args.get("page", 1, type=int) or 1, 1), self.pages)

    @property
    def items(self) -> Sequence[Any]:
        start = (self.page - 1) * self.per_page
        return self.rows[start : start + self.per_page]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
