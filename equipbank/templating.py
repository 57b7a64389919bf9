"""Jinja filters and globals: French dates and numbers, enum labels, pagination links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, request, url_for
from markupsafe import Markup

from equipbank import codes
from equipbank.clock import PARIS
from equipbank.forms import error_summary


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def format_time(value: datetime | None) -> str:
    """The hour of a moment, Paris time: "09:30"."""
    if value is None:
        return ""
    return value.astimezone(PARIS).strftime("%H:%M")


def format_number(value: float | Decimal | None, decimals: int = 0) -> str:
    """French number: narrow no-break space between thousands, decimal comma."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def days_ago(value: datetime | None) -> int | str:
    """Whole days since a moment, for "days in stock"."""
    if value is None:
        return ""
    from equipbank.clock import utcnow

    return (utcnow() - value).days


def commune_name(code: str | None) -> str:
    from equipbank.extensions import db
    from equipbank.geo.models import Commune

    commune = db.session.get(Commune, code) if code else None
    return commune.name if commune else (code or "")


def reference(value: object) -> Markup:
    """A reference (DON-000005, EB-000123, n° 12) on one line: never broken at its hyphen or
    its space on a narrow screen."""
    return Markup('<span class="ref">{}</span>').format(value)


def label(code: str | None, enum_name: str) -> str:
    return codes.label(codes.ENUMS[enum_name], code)


def url_with(_endpoint: str | None = None, **changes) -> str:
    """The current page's URL with some query arguments changed (None removes one); with
    `_endpoint`, that page's URL with the current query arguments (an export's filters on
    the report's page)."""
    args = {} if _endpoint else dict(request.view_args or {})
    # Query arguments that would collide with url_for's own ("endpoint", "_external"...)
    # mean nothing to any page: an edited URL is not worth a 500.
    args.update(
        {
            key: value
            for key, value in request.args.items()
            if key != "endpoint" and not key.startswith("_")
        }
    )
    args.update(changes)
    endpoint = _endpoint or request.endpoint
    assert endpoint is not None  # a page being rendered was routed to an endpoint
    return url_for(
        endpoint,
        **{key: value for key, value in args.items() if value not in (None, "")},
    )


def url_with_page(page: int) -> str:
    return url_with(page=page)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        time=format_time,
        number=format_number,
        label=label,
        commune_name=commune_name,
        days_ago=days_ago,
        ref=reference,
    )
    app.jinja_env.globals.update(
        codes=codes, url_with=url_with, url_with_page=url_with_page, error_summary=error_summary
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def bank():
        return {"bank_name": app.config["BANK_NAME"], "bank_contact": app.config["BANK_CONTACT"]}
