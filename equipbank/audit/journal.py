"""The audit journal as a hash chain: written at commit, never rewritten, checked on demand.

Each row's `hash` is SHA-256 over a canonical JSON of its fields and the previous row's hash
(`row_hash`). The chain covers the *network* of the IP address (/24, /48) and a salted digest
of the full address, not the address itself: the retention step (`truncate_expired_ips`)
replaces an old address by its network and drops the salt, and every hash stays valid.

Rows are chained when the transaction commits, not when a service records them: `record`
keeps the event aside and the session's `before_commit` inserts it, under a lock, after the
last row committed. On PostgreSQL the lock is a transaction-level advisory lock, held only from
then to the commit, so two requests recording at once are chained one after the other rather
than both after the same row (the unique `prev_id` refuses such a fork anyway); SQLite
serialises its writers on its own.

Nothing rewrites the journal: the ORM refuses updates and deletes of `AuditEvent` on both
engines, and on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE from anyone (raw
SQL included), with two exceptions: the IP truncation above (the trigger checks that it changes
nothing else), and a purge in a transaction that ran `SET LOCAL equipbank.allow_purge = 'on'`,
which only the test suite's cleanup does.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from equipbank.audit.models import GENESIS_HASH, AuditEvent

_PENDING = "equipbank_audit_pending"
# Execution option of the one UPDATE the ORM lets through: the retention of IP addresses.
IP_RETENTION = "equipbank_audit_ip_retention"
# Any constant 64-bit key, the same in every process: "audit" in ASCII.
ADVISORY_LOCK_KEY = 0x6175646974
IPV4_PREFIX, IPV6_PREFIX = 24, 48
# The arguments of `row_hash`: every column but `hash`, the IP's salt, and the IP itself,
# which enters as its network.
HASHED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "action",
    "subject_type",
    "subject_id",
    "summary",
    "ip",
    "ip_digest",
    "prev_id",
    "prev_hash",
)


class JournalIsAppendOnly(RuntimeError):
    """An attempt to update or delete audit events through the ORM."""


def init_app(app) -> None:
    """Chain the recorded events at commit; refuse rewrites of the journal through the ORM."""
    for target, name, listener in (
        (Session, "before_commit", _write_pending),
        (Session, "after_soft_rollback", _drop_rolled_back),
        (Session, "after_transaction_end", _forget_pending),
        (Session, "do_orm_execute", _refuse_bulk_rewrites),
        (AuditEvent, "before_update", _refuse_row_rewrite),
        (AuditEvent, "before_delete", _refuse_row_rewrite),
    ):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


# --- the hash ----------------------------------------------------------------------------


def ip_network(ip: str | None) -> str | None:
    """The network an address belongs to (/24 in IPv4, /48 in IPv6): what is kept of it once
    its retention delay is over, and what the chain covers."""
    return None if ip is None else _network(ip)


@functools.lru_cache(maxsize=65536)  # a journal sees the same addresses again and again
def _network(ip: str) -> str | None:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def ip_digest(salt: str, ip: str) -> str:
    return hashlib.sha256(f"{salt}:{ip}".encode()).hexdigest()


def row_hash(
    *,
    id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    summary: Any,
    ip: str | None,
    ip_digest: str | None,
    prev_id: int | None,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON of a row's fields (the IP as its network) and the
    previous row's hash."""
    fields = (id, at, actor_id, action, subject_type, subject_id, summary, ip, ip_digest)
    return _hash((*fields, prev_id, prev_hash))


_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


def _hash(fields: tuple) -> str:
    """`row_hash` of the fields in the order of HASHED_FIELDS (what `verify` reads)."""
    values = list(fields)
    values[1] = values[1].astimezone(UTC).isoformat()
    values[7] = ip_network(values[7])
    return hashlib.sha256(_encode(values).encode()).hexdigest()


# --- writing: at commit, after the last row ----------------------------------------------


def add(session: Session, audit_event: AuditEvent) -> None:
    """Keep `audit_event` aside until the transaction commits (then `_write_pending` chains and
    inserts it); a rollback drops it, as it would drop the row."""
    ip = audit_event.ip if ip_network(audit_event.ip) else None
    audit_event.ip = ip
    if ip is not None:
        audit_event.ip_salt = secrets.token_hex(16)
        audit_event.ip_digest = ip_digest(audit_event.ip_salt, ip)
    # What the database gives back (tuples become lists, keys strings), so the hash of the
    # row read later is the hash computed now.
    audit_event.summary = json.loads(json.dumps(audit_event.summary or {}))
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any query, drops the event
    savepoint = session.get_nested_transaction()
    session.info.setdefault(_PENDING, []).append((audit_event, savepoint))


def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # the rest of the transaction first: the actors, the subjects
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    last = connection.execute(
        sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last.id, last.hash) if last else (None, GENESIS_HASH)
    for audit_event, _savepoint in pending:
        if postgresql:
            # Taken under the lock: ids grow in the order of the chain.
            audit_event.id = connection.scalar(
                sa.text("SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))")
            )
        else:
            audit_event.id = (prev_id or 0) + 1
        audit_event.prev_id, audit_event.prev_hash = prev_id, prev_hash
        audit_event.hash = row_hash(**_fields(audit_event))
        session.add(audit_event)
        prev_id, prev_hash = audit_event.id, audit_event.hash
    session.flush()


def _fields(audit_event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(audit_event, name) for name in HASHED_FIELDS}


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint rolled back drops the events recorded inside it, as it drops their rows."""
    pending = session.info.get(_PENDING)
    if not pending or not previous_transaction.nested:
        return
    session.info[_PENDING] = [
        (audit_event, savepoint)
        for audit_event, savepoint in pending
        if not _inside(savepoint, previous_transaction)
    ]


def _inside(savepoint: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended without a commit (rollback, close): its events go with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# --- no rewriting -------------------------------------------------------------------------


def _refuse_row_rewrite(_mapper, _connection, target: AuditEvent) -> None:
    raise JournalIsAppendOnly(f"the audit journal is append-only: {target!r} cannot change")


def _refuse_bulk_rewrites(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) != AuditEvent.__tablename__:
        return
    if state.is_update and state.execution_options.get(IP_RETENTION):
        return
    raise JournalIsAppendOnly("the audit journal is append-only: no UPDATE or DELETE")


# --- checking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    row_id: int
    removed: bool
    reason: str

    def __str__(self) -> str:
        state = "supprimée" if self.removed else "modifiée"
        return f"ligne {self.row_id} {state} : {self.reason}"


@dataclass(frozen=True)
class Verification:
    rows: int
    head_id: int | None
    head_hash: str
    broken: Break | None


# The hashed fields first, in `_hash`'s order, then the hash and the salt.
_VERIFIED_COLUMNS = (
    *(getattr(AuditEvent, name) for name in HASHED_FIELDS),
    AuditEvent.hash,
    AuditEvent.ip_salt,
)
_HASHED = len(HASHED_FIELDS)


def verify(session: Session, *, batch: int = 5000) -> Verification:
    """Walk the chain from its first row; stop at the first row altered or removed.

    A row removed from the middle or the start is named by the `prev_id` of the row after it;
    rows removed from the end leave a shorter chain that is still whole: compare the head
    (`head_id`, `head_hash`) with one noted before to see that.
    """
    count, prev_id, prev_hash = 0, None, GENESIS_HASH
    query = sa.select(*_VERIFIED_COLUMNS).order_by(AuditEvent.id)
    # In batches (a server-side cursor on PostgreSQL), closed when the walk stops early.
    with session.execute(query, execution_options={"yield_per": batch}) as rows:
        for row in rows:
            broken = _check(row, prev_id, prev_hash)
            if broken is not None:
                return Verification(count, prev_id, prev_hash, broken)
            count, prev_id, prev_hash = count + 1, row.id, row.hash
    return Verification(count, prev_id, prev_hash, None)


def _check(row: sa.Row, prev_id: int | None, prev_hash: str) -> Break | None:
    # The row's own hash first: it covers its links (`prev_id`, `prev_hash`) too.
    if _hash(tuple(row[:_HASHED])) != row.hash:
        return Break(row.id, False, "son contenu ne correspond plus à son empreinte")
    if row.ip_salt is not None and (
        row.ip is None or ip_digest(row.ip_salt, row.ip) != row.ip_digest
    ):
        return Break(row.id, False, "son adresse IP ne correspond plus à son empreinte")
    if row.prev_id != prev_id:
        if row.prev_id is not None and (prev_id is None or row.prev_id > prev_id):
            return Break(row.prev_id, True, f"la ligne {row.id} la désigne comme précédente")
        return Break(row.id, False, f"elle désigne la ligne {row.prev_id} comme précédente")
    if row.prev_hash != prev_hash:
        # This row is whole and holds the hash its predecessor had when it was written.
        return Break(prev_id or row.id, False, f"la ligne {row.id} en gardait une autre empreinte")
    return None


# --- retention of IP addresses -----------------------------------------------------------


def truncate_ips(session: Session, *, before: datetime) -> int:
    """Replace the addresses recorded before `before` by their network and drop their salt:
    the chain, which covers the network and the digest, stays valid. Returns the rows changed."""
    expired = (AuditEvent.at < before) & AuditEvent.ip_salt.is_not(None)
    addresses = session.scalars(sa.select(AuditEvent.ip).where(expired).distinct()).all()
    changed = 0
    for ip in addresses:
        result = session.execute(
            sa.update(AuditEvent)
            .where(expired, AuditEvent.ip == ip)
            .values(ip=ip_network(ip), ip_salt=None)
            .execution_options(**{IP_RETENTION: True, "synchronize_session": False})
        )
        changed += cast(sa.CursorResult[Any], result).rowcount
    return changed
