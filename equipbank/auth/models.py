from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.db import Model, TimestampMixin, UTCDateTime, code_check

if TYPE_CHECKING:
    from equipbank.organisations.models import Organisation


class User(UserMixin, TimestampMixin, Model):
    """A person who logs in. Emails are stored lower-cased, so unique case-insensitively."""

    __tablename__ = "users"
    __table_args__ = (
        code_check("role", Role.codes()),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret of an advisor's calendar feed URL, hashed: a leaked database gives no feed.
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    organisation: Mapped[Organisation] = relationship()
    api_tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active and self.organisation.is_active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(Model):
    """A bearer token of the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"
