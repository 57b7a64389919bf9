"""What every HTML form shares: domain errors shown on their fields, list filters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice

from equipbank.codes import LabelledEnum
from equipbank.errors import DomainError


def choices(pairs: Iterable[tuple[Any, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, after an empty option labelled `blank`."""
    options = [SelectChoice(value, label) for value, label in pairs]
    return [SelectChoice("", blank), *options] if blank is not None else options


def enum_choices(enum: type[LabelledEnum], *, blank: str | None = None) -> list[SelectChoice]:
    return choices(((member.value, member.label) for member in enum), blank=blank)


def show_domain_error(form: Form, error: DomainError) -> None:
    """Put a service's field errors on the form's fields; the rest goes to `form.form_errors`.

    Services speak in field names that the forms reuse, so a rule checked once in a service
    reads, on the page, as a message under the field the person has to fix.
    """
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is None:
            continue
        field.errors = [*field.errors, *(messages if isinstance(messages, list) else [messages])]
        placed = True
    if not placed:
        form.form_errors.append(error.message)


class Form(FlaskForm):
    """The base of every HTML form: WTForms' own messages in French."""

    class Meta:
        locales = ("fr_FR", "fr")


class FilterForm(Form):
    """A GET form of list filters, read from the query string, never in error.

    A value that is not valid (an edited URL, a stale bookmark) is dropped: the list shows
    as if that filter were not set, rather than an error on a search form.
    """

    class Meta:
        csrf = False

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        self.load_choices()
        if not self.validate():
            for field in self:
                if field.errors:
                    field.data = field.default
                    field.errors = []

    def load_choices(self) -> None:
        """Fill the choices that come from the database, before the values are checked."""
