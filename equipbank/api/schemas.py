"""What every API schema shares: French messages, pagination, the error body."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from equipbank.db import MAX_ID
from equipbank.extensions import db

FRENCH_FIELD_MESSAGES = {
    "required": "Champ obligatoire.",
    "null": "Ce champ ne peut pas être vide (null).",
    "validator_failed": "Valeur invalide.",
}
FRENCH_TYPE_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.String: {"invalid": "Texte attendu."},
    fields.Integer: {"invalid": "Nombre entier attendu.", "too_large": "Nombre trop grand."},
    fields.Float: {"invalid": "Nombre attendu."},
    fields.Decimal: {"invalid": "Nombre attendu."},
    fields.Boolean: {"invalid": "Booléen attendu (true ou false)."},
    fields.DateTime: {"invalid": "Date et heure ISO 8601 attendues (2026-11-22T14:30:00+01:00)."},
    fields.AwareDateTime: {"invalid_awareness": "Indiquez le fuseau horaire (+01:00 ou Z)."},
    fields.Date: {"invalid": "Date ISO 8601 attendue (2026-11-22)."},
    fields.List: {"invalid": "Liste attendue."},
    fields.Nested: {"type": "Objet attendu."},
    fields.Email: {"invalid": "Adresse e-mail invalide."},
}


def use_french_messages() -> None:
    """marshmallow's default messages, in French: API clients show them to French users."""
    fields.Field.default_error_messages.update(FRENCH_FIELD_MESSAGES)
    for field_class, messages in FRENCH_TYPE_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    Schema._default_error_messages = {
        **Schema._default_error_messages,
        "type": "Objet JSON attendu.",
        "unknown": "Champ inconnu.",
    }


class Id(fields.Integer):
    """An id in a body or a query: a whole number the database can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", validate.Range(min=1, max=MAX_ID, error="Identifiant invalide.")
        )
        super().__init__(**kwargs)


class BodySchema(Schema):
    """A request body: an unknown field is an error (a typo would be silently dropped)."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query string arguments: unknown ones are ignored, as browsers and proxies add some."""

    class Meta:
        unknown = EXCLUDE


class PageArgs(QuerySchema):
    # Bounded: no list has more pages than ids, and a larger offset overflows the database.
    # A page past the end of the list (but within this range) is an empty page.
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_ID, error="Numéro de page invalide."),
    )
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The documented shape of a list: `{"items": [...], "total": N, "page": P, "per_page": n}`."""
    name = f"{item_schema.__name__.removesuffix('Schema')}Page"
    if name not in _page_schemas:
        _page_schemas[name] = Schema.from_dict(
            {
                "items": fields.List(fields.Nested(item_schema)),
                "total": fields.Integer(),
                "page": fields.Integer(),
                "per_page": fields.Integer(),
            },
            name=name,
        )
    return _page_schemas[name]


def paginate(query, args: dict[str, Any]) -> dict[str, Any]:
    """One page of `query` in the list shape; the endpoint's `page_of` schema dumps the items."""
    per_page = min(args["per_page"], current_app.config["API_MAX_PER_PAGE"])
    page = db.paginate(query, page=args["page"], per_page=per_page, error_out=False, count=True)
    return {
        "items": page.items,
        "total": page.total,
        "page": args["page"],
        "per_page": per_page,
    }


class ErrorDetailSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields")


class ErrorResponseSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)
