"""The audit log: services call `record` on every write, in the same transaction.

The events are written, chained after the last one, when the transaction commits
(`journal.py`): they are not in the database before that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import joinedload

from equipbank.audit import journal
from equipbank.audit.models import AuditEvent
from equipbank.clock import PARIS, months_before, utcnow
from equipbank.extensions import db
from equipbank.spreadsheet import escape_formula

if TYPE_CHECKING:
    from equipbank.auth.models import User

# Keys that must never reach the audit log, whatever a caller passes.
PERSONAL_KEYS = frozenset(
    {"first_name", "last_name", "name", "email", "phone", "birth_year", "address", "password"}
)


def record(
    action: str,
    subject: Any,
    *,
    actor: User | None = None,
    summary: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event for `action` on `subject` (a model instance, or a type name).

    `summary` says what changed, without personal data: keys naming personal fields are
    refused, so a careless caller fails loudly in tests rather than leaking into the log.
    """
    summary = summary or {}
    leaked = PERSONAL_KEYS.intersection(summary)
    if leaked:
        raise ValueError(f"personal data in an audit summary: {sorted(leaked)}")
    subject_type, subject_id = _describe(subject)
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary,
        ip=request.remote_addr if has_request_context() else None,
    )
    journal.add(db.session(), event)
    return event


def truncate_expired_ips(*, now: datetime | None = None) -> int:
    """Keep only the network of the addresses older than `AUDIT_IP_RETENTION_MONTHS`, and say
    so in the journal (when there were any). The chain stays valid. Returns the rows changed."""
    months = current_app.config["AUDIT_IP_RETENTION_MONTHS"]
    before = months_before(now or utcnow(), months)
    changed = journal.truncate_ips(db.session(), before=before)
    if changed:
        record(
            "audit.ip_truncation",
            AuditEvent.__tablename__,
            summary={"before": before.isoformat(), "rows": changed, "months": months},
        )
    return changed


def _describe(subject: Any) -> tuple[str, str | None]:
    if isinstance(subject, str):
        return subject, None
    table = getattr(subject, "__tablename__", type(subject).__name__.lower())
    if hasattr(subject, "id") and subject.id is None:
        db.session.flush()  # a new row: its id is the subject
    identity = getattr(subject, "id", None) or getattr(subject, "code", None)
    return table, None if identity is None else str(identity)


@dataclass(frozen=True)
class JournalFilters:
    """What a staff member looks for in the journal; None is "any"."""

    actor_id: int | None = None
    organisation_id: int | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    start: date | None = None  # Paris dates, both included
    end: date | None = None

    def described(self) -> dict[str, str]:
        """The filters in the export's audit event: ids, codes and dates, no free text."""
        return {key: str(value) for key, value in asdict(self).items() if value is not None}


def journal_query(filters: JournalFilters) -> sa.Select[tuple[AuditEvent]]:
    """The events matching `filters`, newest first, with their actor and its organisation."""
    from equipbank.auth.models import User

    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor).joinedload(User.organisation))
        .order_by(AuditEvent.id.desc())
    )
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.organisation_id is not None:
        query = query.where(
            AuditEvent.actor_id.in_(
                sa.select(User.id).where(User.organisation_id == filters.organisation_id)
            )
        )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.subject_type:
        query = query.where(AuditEvent.subject_type == filters.subject_type)
    if filters.subject_id:
        query = query.where(AuditEvent.subject_id == filters.subject_id)
    if filters.start is not None:
        query = query.where(AuditEvent.at >= datetime.combine(filters.start, time(), PARIS))
    if filters.end is not None:
        following = datetime.combine(filters.end + timedelta(days=1), time(), PARIS)
        query = query.where(AuditEvent.at < following)
    return query


def known_values(column) -> list[str]:
    """The values a column of the journal holds (actions, subject types), for the filters."""
    return list(db.session.scalars(sa.select(column).distinct().order_by(column)))


EXPORT_HEADERS = (
    "N°",
    "Date (Paris)",
    "Personne",
    "Organisation",
    "Action",
    "Objet",
    "Identifiant",
    "Détail",
    "Adresse IP",
    "Empreinte",
)


def record_export(filters: JournalFilters, *, actor: User) -> None:
    """An export of the journal is in the journal, with its filters."""
    record("audit.export", AuditEvent.__tablename__, actor=actor, summary=filters.described())


def export_rows(filters: JournalFilters) -> Iterator[list[str]]:
    """The journal's rows as CSV cells, none of which a spreadsheet would run as a formula."""
    events = db.session.scalars(journal_query(filters), execution_options={"yield_per": 1000})
    for event in events:
        cells = [
            str(event.id),
            event.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S"),
            event.actor.name if event.actor else "",
            event.actor.organisation.name if event.actor else "",
            event.action,
            event.subject_type,
            event.subject_id or "",
            json.dumps(event.summary, ensure_ascii=False, sort_keys=True),
            event.ip or "",
            event.hash,
        ]
        yield [escape_formula(cell) or "" for cell in cells]
