"""What the API keeps of a request sent with an `Idempotency-Key` (see `api/idempotency.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from equipbank.clock import utcnow
from equipbank.db import Model, UTCDateTime


class IdempotencyKey(Model):
    """One key of one user, and the first successful answer to the request it came with.

    Unique per (user, key): of two requests sent at once with the same key, the database lets
    one through and makes the other wait for it. The row is written in the request's own
    transaction, so a request that fails leaves none and its retry does the work.

    The answer may name a beneficiary: the row says what the request created (`resource_type`,
    `resource_id`, as the audit journal names its subjects) so that anonymising the person
    erases it (`erase_answers`); the key stays, and its retry is answered 410.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        sa.Index("ix_idempotency_keys_resource", "resource_type", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(255))
    # SHA-256 of the method, the path and the body: the same key with another request is refused.
    # None once erased: a digest of a body naming the person could confirm a guess of it.
    request_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Empty while the request runs (never seen by another transaction), then its answer.
    status_code: Mapped[int | None]
    response_body: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    # What the request created: a table name and the id (or tag) its answer gave.
    resource_type: Mapped[str | None] = mapped_column(sa.String(40))
    resource_id: Mapped[str | None] = mapped_column(sa.String(40))
    # When the answer and the request's digest were erased (the person was anonymised).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<IdempotencyKey {self.id} user {self.user_id}>"
