"""The audit journal no one can rewrite: a hash chain, append-only in the ORM and in
PostgreSQL, checked by `flask audit verify`; old IP addresses truncated without breaking it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from equipbank.audit import journal
from equipbank.audit import services as audit
from equipbank.audit.models import GENESIS_HASH, AuditEvent
from equipbank.extensions import db


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def needs_postgresql():
    if not on_postgresql():
        pytest.skip("DATABASE_URL does not point at PostgreSQL (CI sets it)")


def record_events(count: int) -> list[int]:
    """`count` events committed; their ids in order."""
    for n in range(count):
        audit.record("organisation.update", "organisations", summary={"n": n})
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def events_with_ip(ip: str, count: int, *, at: datetime) -> None:
    """Events recorded as `record` does in a request from `ip`, at `at`."""
    for n in range(count):
        event = AuditEvent(
            at=at, action="beneficiary.view", subject_type="beneficiaries", summary={"n": n}
        )
        event.ip = ip
        journal.add(db.session(), event)
    db.session.commit()


def tamper(sql: str, **params) -> None:
    """Change the table by hand, as someone with the database's owner rights could: on
    PostgreSQL with the trigger switched off for the time of the change."""
    with db.engine.begin() as connection:
        if on_postgresql():
            connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        connection.execute(sa.text(sql), params)
        if on_postgresql():
            connection.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def test_each_row_is_chained_to_the_one_before():
    record_events(3)
    rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_id is None and rows[0].prev_hash == GENESIS_HASH
    assert [r.prev_id for r in rows[1:]] == [r.id for r in rows[:-1]]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert journal.verify(db.session()).broken is None


def test_an_event_is_written_at_the_commit_and_dropped_by_a_rollback():
    audit.record("organisation.update", "organisations")
    db.session.rollback()
    audit.record("organisation.create", "organisations")
    db.session.commit()
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["organisation.create"]


def test_an_event_recorded_in_a_savepoint_rolled_back_is_dropped():
    audit.record("organisation.create", "organisations")
    savepoint = db.session.begin_nested()
    audit.record("organisation.update", "organisations")
    savepoint.rollback()
    db.session.commit()
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["organisation.create"]


def test_verify_passes_on_an_intact_journal(runner):
    record_events(4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 ligne(s) vérifiée(s)" in result.output


def test_verify_names_the_first_altered_row(runner):
    ids = record_events(5)
    tamper(
        "UPDATE audit_events SET summary = :summary WHERE id IN (:a, :b)",
        summary='{"n": 99}',
        a=ids[2],
        b=ids[3],
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"ligne {ids[2]} modifiée" in result.output
    assert "2 ligne(s) intacte(s)" in result.output


def test_verify_names_a_row_altered_with_its_hash_recomputed(runner):
    """Rewriting a row and its own hash is seen by the next row, which kept the old hash."""
    ids = record_events(3)
    row = db.session.get(AuditEvent, ids[1])
    fields = {name: getattr(row, name) for name in journal.HASHED_FIELDS}
    forged = journal.row_hash(**{**fields, "action": "organisation.create"})
    db.session.rollback()
    tamper(
        "UPDATE audit_events SET action = 'organisation.create', hash = :hash WHERE id = :id",
        hash=forged,
        id=ids[1],
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"ligne {ids[1]} modifiée" in result.output


def test_verify_names_a_removed_row(runner):
    ids = record_events(4)
    tamper("DELETE FROM audit_events WHERE id = :id", id=ids[1])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"ligne {ids[1]} supprimée" in result.output


def test_verify_names_the_first_row_removed():
    ids = record_events(3)
    tamper("DELETE FROM audit_events WHERE id = :id", id=ids[0])
    broken = journal.verify(db.session()).broken
    assert broken is not None and (broken.row_id, broken.removed) == (ids[0], True)


def test_verify_names_a_row_whose_address_was_changed(runner):
    events_with_ip("203.0.113.7", 2, at=datetime.now(UTC))
    first = db.session.scalar(sa.select(sa.func.min(AuditEvent.id)))
    # Same network: the chain alone would not see it, the salted digest does.
    tamper("UPDATE audit_events SET ip = '203.0.113.8' WHERE id = :id", id=first)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"ligne {first} modifiée" in result.output


def test_the_orm_refuses_to_update_or_delete_an_event():
    record_events(1)
    event = db.session.scalars(sa.select(AuditEvent)).one()
    event.action = "organisation.delete"
    with pytest.raises(journal.JournalIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(sa.select(AuditEvent)).one())
    with pytest.raises(journal.JournalIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEvent).values(action="x"),
        sa.delete(AuditEvent),
    ],
)
def test_the_orm_refuses_bulk_updates_and_deletes(statement):
    record_events(1)
    with pytest.raises(journal.JournalIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET action = 'x'",
        "UPDATE audit_events SET ip = '198.51.100.0', ip_salt = NULL",  # not its network
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
def test_postgresql_refuses_a_rewrite_by_hand(sql):
    needs_postgresql()
    events_with_ip("203.0.113.7", 1, at=datetime.now(UTC))
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.text(sql))
    assert db.session.scalar(sa.select(AuditEvent.action)) == "beneficiary.view"


def test_postgresql_lets_only_a_purge_asked_for_delete():
    needs_postgresql()
    record_events(2)
    with db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL equipbank.allow_purge = 'on'"))
        connection.execute(sa.text("DELETE FROM audit_events"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_old_addresses_are_truncated_and_the_chain_stays_valid(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_IP_RETENTION_MONTHS", 6)
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    events_with_ip("203.0.113.7", 2, at=now - timedelta(days=200))
    events_with_ip("2001:db8:abcd:12::5", 1, at=now - timedelta(days=190))
    events_with_ip("198.51.100.23", 1, at=now - timedelta(days=20))
    assert audit.truncate_expired_ips(now=now) == 3
    db.session.commit()
    ips = db.session.execute(
        sa.select(AuditEvent.ip, AuditEvent.ip_salt).order_by(AuditEvent.id)
    ).all()
    assert [ip for ip, _salt in ips[:4]] == [
        "203.0.113.0",
        "203.0.113.0",
        "2001:db8:abcd::",
        "198.51.100.23",
    ]
    assert [salt is None for _ip, salt in ips[:4]] == [True, True, True, False]
    operation = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert operation.action == "audit.ip_truncation" and operation.summary["rows"] == 3
    # Run again: nothing left to do, nothing journaled.
    assert audit.truncate_expired_ips(now=now) == 0
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_daily_housekeeping_truncates_old_addresses(app):
    from equipbank.privacy.tasks import housekeeping

    events_with_ip("203.0.113.7", 1, at=datetime.now(UTC) - timedelta(days=400))
    housekeeping()
    assert db.session.scalar(sa.select(AuditEvent.ip).order_by(AuditEvent.id)) == "203.0.113.0"
    assert journal.verify(db.session()).broken is None


def test_months_before_keeps_the_day_or_the_months_last():
    assert audit.months_before(datetime(2026, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2026, 2, 28, 9, tzinfo=UTC
    )
    assert audit.months_before(datetime(2026, 3, 15, tzinfo=UTC), 6) == datetime(
        2025, 9, 15, tzinfo=UTC
    )


def test_two_transactions_recording_at_once_do_not_fork_the_chain(app):
    """Each thread records then waits for the other before committing: both chain at the
    commit, one after the other."""
    needs_postgresql()
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context():
                for step in range(5):
                    audit.record(
                        "organisation.update", "organisations", summary={"n": n * 10 + step}
                    )
                    barrier.wait()
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (asserted below, in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = journal.verify(db.session())
    assert result.broken is None and result.rows == 10
