"""What views share: a service's refusal shown in the service's own words, and list pages.

Views call a service inside one of these helpers; the request boundary (`equipbank.App`)
commits once the view returns. When the service refuses, the helper rolls back at once, so
the page rendered after it (the form and its errors) never saves anything half-written. The
helpers flush, so that a stale version or a unique constraint is met here and shown on the
page too, rather than at the commit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, flash, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from equipbank import transaction
from equipbank.db import MAX_ID
from equipbank.errors import DomainError, concurrent_change
from equipbank.extensions import db
from equipbank.forms import Form, show_domain_error

T = TypeVar("T")


def save_or_raise(operation: Callable[[], T]) -> T:
    """Run a service and flush; when it refuses, roll back and raise its DomainError (a
    concurrent change met at the flush becomes one), for a view that answers each refusal
    its own way."""
    try:
        result = operation()
        db.session.flush()
    except DomainError:
        transaction.rollback()
        raise
    except (StaleDataError, IntegrityError) as error:
        transaction.rollback()
        raise concurrent_change(error) from None
    return result


def save_or_show(form: Form, operation: Callable[[], T]) -> T | None:
    """Run a service on a submitted form's data. When the service refuses, roll back and
    show why on the form's fields; returns None then."""
    try:
        return save_or_raise(operation)
    except DomainError as refusal:
        show_domain_error(form, refusal)
        return None


def save_and_flash(operation: Callable[[], object], done: str) -> bool:
    """A button's action (validate, deactivate, close...): say it is done, or roll back and
    say why not. Returns whether it was done."""
    try:
        save_or_raise(operation)
    except DomainError as refusal:
        flash(refusal.message, "error")
        return False
    flash(done, "success")
    return True


# No list has more pages than the database has ids; beyond it the offset could overflow.
MAX_PAGE = MAX_ID


def requested_page() -> int:
    """The page asked for in the query string, within 1..MAX_PAGE; 1 when it is no number."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def paginate(query) -> Pagination:
    """One page of an HTML list (`PER_PAGE` rows): the page asked for, or the last one when
    it is beyond the list (a link kept from a longer list, a number edited by hand)."""
    per_page = current_app.config["PER_PAGE"]
    page = db.paginate(query, page=requested_page(), per_page=per_page, error_out=False)
    if page.page > max(page.pages, 1):
        # Rare (an edited URL): a second query rather than a count before every list.
        page = db.paginate(query, page=max(page.pages, 1), per_page=per_page, error_out=False)
    return page


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
        return min(requested_page(), self.pages)

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
