"""The SQLAlchemy object and the column types and helpers every model shares."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from equipbank.clock import utcnow

# Stable constraint names: migrations can name what they alter, on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as FlaskSQLAlchemyModel

    # mypy cannot subclass an attribute (python/mypy#8603); db.Model is Base with this mixin.
    class Model(Base, FlaskSQLAlchemyModel):
        pass
else:
    Model = db.Model


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every engine.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as naive
    UTC and given back aware.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; equipbank stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def code_check(column: str, codes: Iterable[str], name: str | None = None) -> sa.CheckConstraint:
    """A CHECK constraint that keeps an enum code column within its known values."""
    values = ", ".join(f"'{code}'" for code in codes)
    return sa.CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_code")


# Ids are PostgreSQL `integer`s: a larger number in a URL, a form or a JSON body is no id.
MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """The id a value names, or None when it is not a whole number in 1..MAX_ID."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def like_escape(text: str) -> str:
    """Text for a LIKE pattern, its wildcards taken literally (escape character `\\`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_text(column, text: str):
    """Case-insensitive "column contains text", with the text's wildcards taken literally."""
    return column.ilike(f"%{like_escape(text.strip())}%", escape="\\")


class days_between(sa.sql.functions.FunctionElement):
    """Days (fractional) from one timestamp to another, computed by the database."""

    type = sa.Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (
        f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
    )


def bucket_of(column, buckets: list[tuple[str, datetime, datetime]]):
    """A CASE giving the bucket a timestamp falls in (NULL outside them all)."""
    return sa.case(
        *[((column >= start) & (column < end), key) for key, start, end in buckets], else_=None
    )
