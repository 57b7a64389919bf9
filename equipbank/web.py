"""What views share: one unit of work, committed, or refused with the service's own words.

Views call a service inside one of these; the service flushes, the helper commits once or
rolls back, so a refused action never leaves anything half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
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
