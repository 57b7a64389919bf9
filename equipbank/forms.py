"""What every HTML form shares: domain errors shown on their fields, list filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is 3.2

from equipbank.codes import LabelledEnum
from equipbank.db import as_id
from equipbank.errors import DomainError

T = TypeVar("T")


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


def show_domain_error(form: Form, error: DomainError, *, beside_errors: bool = False) -> None:
    """Put a service's field errors on the form's fields; the rest goes to `form.form_errors`.

    Services speak in field names (or paths, "lines.0.serials") that the forms reuse, so a
    rule checked once in a service reads, on the page, under the field the person has to fix.
    `beside_errors`: the form has been validated already, and a field in error keeps its own
    message (one thing to fix a field, not two wordings of it).
    """
    placed = False
    for path, messages in error.fields.items():
        # Paths follow the API's nesting ("followup.starts_at"); a flat form has "starts_at".
        chain = _path_in(form, path) or _path_in(form, path.rsplit(".", 1)[-1])
        if chain:
            placed = True
            if beside_errors and _already_in_error(form, path, chain[-1]):
                continue
            add_errors(chain, messages if isinstance(messages, list) else [messages])
    if not placed:
        form.form_errors.append(error.message)
        form._errors = None


def _already_in_error(form, path: str, field) -> bool:
    """The field, or one of the fields a service's name stands for, already says what to fix."""
    others = getattr(form, "error_aliases", {}).get(path, ())
    return bool(field.errors) or any(getattr(form, name).errors for name in others)


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
    """A form's field by attribute name, or by its HTML name when they differ ("from"), or
    the field a service's name stands for (`error_aliases`: "commune" is the commune select)."""
    aliases = getattr(form, "error_aliases", {})
    if name in aliases:
        name = aliases[name][-1]
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


@dataclass(frozen=True)
class FormError:
    """One line of a form's error summary: what to fix, on which field (its label, and the id
    of the element a link takes the person to), or on the whole form (no label, no target)."""

    message: str
    label: str = ""
    target: str | None = None


def error_summary(form) -> list[FormError]:
    """Every error of a form that came back, for the summary at its top: field by field (a
    repeated line's fields with their line number), then the whole form's.

    Rendering the summary also gives `autofocus` to the first field in error (where no
    script moves the focus to the summary) and takes it from any other field."""
    order = getattr(form, "page_order", ())
    # Sorted is stable: the fields `page_order` does not name follow, in their own order.
    fields = sorted(
        form, key=lambda f: order.index(f.short_name) if f.short_name in order else len(order)
    )
    errors = [error for field in fields for error in _errors_of(field, "")]
    errors += [FormError(str(message)) for message in form.form_errors]
    first = next((error.target for error in errors if error.target), None)
    if first is not None:
        for field in _leaves(form):
            wanted = _target(field) == first
            if wanted or (field.render_kw or {}).get("autofocus"):
                # A new dict: render_kw is shared by every instance of the form's class.
                kept = {k: v for k, v in (field.render_kw or {}).items() if k != "autofocus"}
                field.render_kw = {**kept, "autofocus": True} if wanted else kept
    return errors


def _errors_of(field, prefix: str) -> list[FormError]:
    if field.type == "FieldList":
        found = []
        for index, entry in enumerate(field.entries, start=1):
            found += _errors_of(entry, f"Ligne {index} · ")
        first = next(iter(_leaves_of(field)), None)
        for message in field.errors:
            if isinstance(message, str):  # the list's own ("at least one line")
                label = f"{prefix}{field.label.text}"
                found.append(FormError(message, label, _target(first) if first else None))
        return found
    if field.type == "FormField":
        return [error for sub in field.form for error in _errors_of(sub, prefix)]
    if field.type in ("CSRFTokenField", "HiddenField"):
        return [FormError(str(message)) for message in field.errors]
    label = f"{prefix}{field.label.text}"
    return [FormError(str(message), label, _target(field)) for message in field.errors]


def _leaves(form) -> list:
    return [leaf for field in form for leaf in _leaves_of(field)]


def _leaves_of(field) -> list:
    if field.type == "FieldList":
        return [leaf for entry in field.entries for leaf in _leaves_of(entry)]
    if field.type == "FormField":
        return [leaf for sub in field.form for leaf in _leaves_of(sub)]
    return [] if field.type in ("CSRFTokenField", "HiddenField") else [field]


def _target(field) -> str:
    """The element to focus: the field, or the first box of a list of radios or checkboxes."""
    in_a_list = getattr(field.widget, "html_tag", None) in ("ul", "ol")
    return f"{field.id}-0" if in_a_list else field.id


class Form(FlaskForm):
    """The base of every HTML form: WTForms' own messages in French, and every error of a
    submit found in one go.

    `validate()` runs WTForms' validators on every field, then `check_rules()`, where a form
    runs the checks of the service it feeds (they read, never write) with `check()`. Their
    refusals land on the fields beside the validators' errors, so the person sees everything
    to fix after one submit, not one field per round trip. The service checks again when
    called: the form only shows its answer earlier.
    """

    # The fields a page shows before the others when the form's declaration order differs
    # (fields of a mixin come first): the error summary follows the page.
    page_order: tuple[str, ...] = ()
    # A name services use for what the form asks in several fields: "commune" ->
    # ("postal_code", "commune_code"); its errors go on the last one, and are not repeated
    # when one of them is in error already.
    error_aliases: dict[str, tuple[str, ...]] = {}

    class Meta:
        locales = ("fr_FR", "fr")

    def validate(self, extra_validators=None):  # untyped, as FlaskForm's
        super().validate(extra_validators)
        self.check_rules()
        return not self.errors

    def check_rules(self) -> None:
        """The service's checks of the submitted data, each with `self.check(...)`."""

    def check(self, rule: Callable[[], T]) -> T | None:
        """Run a service's check (it writes nothing) on the form's data; its refusal goes on
        the fields not in error yet. Its result, or None when it refused."""
        try:
            return rule()
        except DomainError as refusal:
            show_domain_error(self, refusal, beside_errors=True)
            return None


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
