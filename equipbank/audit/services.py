"""The audit log: services call `record` on every write, in the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import has_request_context, request

from equipbank.audit.models import AuditEvent
from equipbank.extensions import db

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
        actor_id=getattr(actor, "id", None),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _describe(subject: Any) -> tuple[str, str | None]:
    if isinstance(subject, str):
        return subject, None
    table = getattr(subject, "__tablename__", type(subject).__name__.lower())
    if hasattr(subject, "id") and subject.id is None:
        db.session.flush()  # a new row: its id is the subject
    identity = getattr(subject, "id", None) or getattr(subject, "code", None)
    return table, None if identity is None else str(identity)
