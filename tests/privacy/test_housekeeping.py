"""The daily housekeeping of personal data, apart from the sweep of every ten minutes: by
`flask rq scheduler` with Redis, by `flask privacy housekeeping` from cron without."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from equipbank import mail
from equipbank.api.models import IdempotencyKey
from equipbank.appointments.tasks import sweep
from equipbank.audit import journal
from equipbank.audit.models import AuditEvent
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import months_before, utcnow
from equipbank.extensions import db
from tests import factories


def old_outbox_email(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(tmp_path))
    mail.send(mail.Message("personne@example.org", "Rappel", "Votre rendez-vous"))
    [path] = tmp_path.iterdir()
    written = time.time() - 90 * 86400
    os.utime(path, (written, written))
    return path


def test_the_sweep_leaves_the_daily_work_to_the_housekeeping(
    app, runner, tmp_path, monkeypatch, relay_user
):
    email = old_outbox_email(app, tmp_path, monkeypatch)
    person = factories.beneficiary(relay_user)
    person.updated_at = months_before(utcnow(), 13)
    old_event = AuditEvent(
        at=datetime.now(UTC) - timedelta(days=400), action="test.old", subject_type="tests"
    )
    old_event.ip = "203.0.113.7"
    journal.add(db.session(), old_event)  # as `record` does in a request from that address
    db.session.commit()

    sweep()
    db.session.expire_all()
    assert email.exists() and db.session.get(Beneficiary, person.id).anonymised_at is None
    assert db.session.scalar(sa.select(AuditEvent.ip).where(AuditEvent.action == "test.old")) == (
        "203.0.113.7"
    )

    result = runner.invoke(args=["privacy", "housekeeping"])
    assert result.exit_code == 0, result.output
    assert "1 bénéficiaire(s) anonymisé(s)" in result.output
    assert "1 e-mail(s) de la boîte d'envoi supprimé(s)" in result.output
    assert "1 adresse(s) IP tronquée(s)" in result.output
    db.session.expire_all()
    assert not email.exists() and db.session.get(Beneficiary, person.id).anonymised_at
    assert db.session.scalar(sa.select(AuditEvent.ip).where(AuditEvent.action == "test.old")) == (
        "203.0.113.0"
    )


def test_the_sweep_still_purges_the_expired_idempotency_keys(app, relay_user):
    """The privacy page says 24 hours: not 24 hours and up to a day more."""
    hours = app.config["IDEMPOTENCY_KEY_TTL_HOURS"]
    db.session.add(
        IdempotencyKey(
            user_id=relay_user.id,
            key="k",
            request_hash="0" * 64,
            created_at=utcnow() - timedelta(hours=hours, minutes=1),
        )
    )
    db.session.commit()
    assert "1 clé(s) Idempotency-Key expirée(s) supprimée(s)" in sweep()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0


def test_the_scheduler_queues_the_sweep_often_and_the_housekeeping_daily(app, runner, monkeypatch):
    from equipbank.jobs import worker

    schedulers: list[worker.AppScheduler] = []

    class Scheduler(worker.AppScheduler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            schedulers.append(self)

    monkeypatch.setattr(worker, "AppScheduler", Scheduler)
    monkeypatch.setattr(worker, "keep_running", lambda run, what: None)  # registered, not run
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "HOUSEKEEPING_CRON", "15 2 * * *")
    result = runner.invoke(args=["rq", "scheduler"])
    assert result.exit_code == 0, result.output
    [scheduler] = schedulers
    registered = {job.func_name: job for job in scheduler.get_jobs()}
    sweep_job = registered["equipbank.appointments.tasks.sweep"]
    assert sweep_job.interval == app.config["SWEEP_INTERVAL_SECONDS"]
    daily = registered["equipbank.privacy.tasks.housekeeping"]
    assert daily.cron == "15 2 * * *"
    assert daily.next_enqueue_time.astimezone(UTC).strftime("%H:%M") == "02:15"
    # A failure, which may quote a query's values or a mail error's address, is not kept a
    # year (rq's default): the sweep's and the import recovery's neither.
    recovery = registered["equipbank.donations.inventory.tasks.recover_imports"]
    assert recovery.interval == app.config["RECOVERY_INTERVAL_SECONDS"]
    for job in (daily, sweep_job, recovery):
        assert job.job_options["failure_ttl"] == app.config["JOB_RESULT_RETENTION_HOURS"] * 3600
