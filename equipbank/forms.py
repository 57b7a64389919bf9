"""What every HTML form shares: domain errors shown on their fields, list filters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is 3.2

from equipbank.codes import LabelledEnum
from equipbank.db import as_id
from equipbank.errors import DomainError


class OptionalSelectField(SelectField):
    """A select whose first option is blank: nothing (None on the edited object, or absent
    from the request) is that blank option, not an invalid choice."""

    def process_data(self, value) -> None:
        super().process_data("" if value is None else value)


def optional_id(value) -> int | None:
    """Coerce a select's value to an id; anything else (empty, tampered) is None."""
    return as_id(value) if value not in (None, "") else None


def choices(pairs: Iterable[tuple[Any, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, after an empty option labelled `blank`."""
    options = [SelectChoice(value, label) for value, label in pairs]
    return [SelectChoice("", blank), *options] if blank is not None else options


def enum_choices(enum: type[LabelledEnum], *, blank: str | None = None) -> list[SelectChoice]:
    return choices(((member.value, member.label) for member in enum), blank=blank)


def show_domain_error(form: Form, error: DomainError) -> None:
    """Put a service's field errors on the form's fields; the rest goes to `form.form_errors`.

    Services speak in field names (or paths, "lines.0.serials") that the forms reuse, so a
    rule checked once in a service reads, on the page, under the field the person has to fix.
    """
    placed = False
    for path, messages in error.fields.items():
        # Paths follow the API's nesting ("followup.starts_at"); a flat form has "starts_at".
        chain = _path_in(form, path) or _path_in(form, path.rsplit(".", 1)[-1])
        if chain:
            add_errors(chain, messages if isinstance(messages, list) else [messages])
            placed = True
    if not placed:
        form.form_errors.append(error.message)
        form._errors = None


def _path_in(form, path: str) -> list:
    """The form, the containers and the field a service's error path names ("serial", or
    "lines.0.serials" inside a FieldList of FormFields); [] when there is no such field."""
    chain, node = [form], form
    for part in path.split("."):
        if part.isdigit():
            entries = getattr(node, "entries", None)
            if entries is None or int(part) >= len(entries):
                return []
            node = entries[int(part)]
        else:
            node = _child(getattr(node, "form", node), part)
            if node is None:
                return []
        chain.append(node)
    return chain if hasattr(node, "errors") else []


def _child(form, name: str):
    """A form's field by attribute name, or by its HTML name when they differ ("from")."""
    field = getattr(form, name, None)
    if field is None and hasattr(form, "_fields"):
        field = next((f for f in form._fields.values() if f.name == name), None)
    return field


def add_errors(chain: list, messages: list[str]) -> None:
    """Errors found after validation (by a service). WTForms computes `errors` once, on
    forms and on field lists, so every container on the way up is brought up to date, or
    the page (and its status code) would not know the form is in error."""
    field = chain[-1]
    field.errors = [*field.errors, *messages]
    for container in reversed(chain[:-1]):
        if hasattr(container, "entries"):  # a FieldList
            container.errors = [entry.errors for entry in container.entries]
        inner = getattr(container, "form", container)
        if hasattr(inner, "_errors"):  # a form, or a FormField's form
            inner._errors = None


class Form(FlaskForm):
    """The base of every HTML form: WTForms' own messages in French."""

    class Meta:
        locales = ("fr_FR", "fr")


class SubForm(wtforms.Form):
    """A repeated part of a form (a FormField in a FieldList): no CSRF token of its own."""

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
