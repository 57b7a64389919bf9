from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipbank.clock import utcnow
from equipbank.db import Model, UTCDateTime

if TYPE_CHECKING:
    from equipbank.auth.models import User

# The previous hash of the first row of the journal.
GENESIS_HASH = "0" * 64


class AuditEvent(Model):
    """Append-only record of a write or a sensitive read. Never holds personal data.

    Each row carries the hash of its own fields and of the previous row's hash (`journal.py`),
    so a row altered or removed later breaks the chain where it was. The database refuses
    UPDATE, DELETE and TRUNCATE on PostgreSQL (trigger of the migration), and the ORM refuses
    them on both engines (`journal.init_app`); the one change allowed is the truncation of an
    old IP address (`ip` to its network, `ip_salt` dropped), which the chain does not see.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(40))
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # sha256(ip_salt:ip), in the chain; the salt is dropped when the address is truncated, so
    # the digest cannot be brute-forced back into the full address.
    ip_salt: Mapped[str | None] = mapped_column(sa.String(32))
    ip_digest: Mapped[str | None] = mapped_column(sa.String(64))
    # The chain: the row before this one (unique: two rows cannot claim the same predecessor).
    prev_id: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship(viewonly=True)

    __table_args__ = (
        sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # The addresses still to truncate (`truncate_expired_ips`), by time: a few months of
        # rows, where the index on `at` alone would walk the whole journal's past.
        sa.Index(
            "ix_audit_events_at_untruncated_ip",
            "at",
            postgresql_where=sa.text("ip_salt IS NOT NULL"),
            sqlite_where=sa.text("ip_salt IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.subject_type}:{self.subject_id}>"
