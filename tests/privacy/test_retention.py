"""Files kept outside the beneficiaries' files, each forgotten after its own delay by the
daily housekeeping: outbox emails, inventory uploads never imported; and background jobs'
results, which Redis forgets."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from equipbank import jobs, mail
from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.donations.inventory import services as inventory
from equipbank.donations.models import InventoryImport
from equipbank.extensions import db
from equipbank.privacy.tasks import housekeeping
from tests import factories

CSV = "Catégorie;Fabricant;Modèle\r\nOrdinateur portable;Dell;E5490\r\n".encode("cp1252")
DAY = 86400


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(tmp_path))
    return tmp_path


def email_written(outbox, days_ago: float):
    before = set(outbox.iterdir())
    mail.send(mail.Message("personne@example.org", "Rappel", "Votre rendez-vous"))
    [path] = set(outbox.iterdir()) - before
    written = time.time() - days_ago * DAY
    os.utime(path, (written, written))
    return path


def upload(days_ago: int) -> int:
    donor = factories.user(Role.DONOR)
    record = inventory.upload(donor.organisation, "inventaire.csv", CSV, actor=donor)
    record.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return record.id


def test_the_housekeeping_deletes_old_outbox_emails_and_keeps_recent_ones(outbox):
    old = email_written(outbox, days_ago=31)
    recent = email_written(outbox, days_ago=29)
    assert "1 e-mail(s) de la boîte d'envoi supprimé(s)" in housekeeping()
    assert not old.exists() and recent.exists()


def test_the_outbox_delay_is_a_setting(app, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETENTION_DAYS", 7)
    old = email_written(outbox, days_ago=8)
    recent = email_written(outbox, days_ago=6)
    housekeeping()
    assert not old.exists() and recent.exists()


def test_the_housekeeping_leaves_other_files_of_the_outbox_folder_alone(outbox):
    other = outbox / "notes.txt"
    other.write_text("à garder")
    old = time.time() - 90 * DAY
    os.utime(other, (old, old))
    housekeeping()
    assert other.exists()


def test_an_outbox_never_written_is_no_error(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(tmp_path / "jamais-créé"))
    assert "0 e-mail(s)" in housekeeping()


def test_the_upload_delay_is_a_setting_read_by_the_housekeeping(app, monkeypatch):
    monkeypatch.setitem(app.config, "INVENTORY_UPLOAD_RETENTION_DAYS", 10)
    old, recent = upload(days_ago=11), upload(days_ago=9)
    assert "1 fichier(s) d'inventaire purgé(s)" in housekeeping()
    db.session.expire_all()
    assert db.session.get(InventoryImport, old) is None
    assert db.session.get(InventoryImport, recent) is not None


def test_flask_imports_purge_defaults_to_the_setting(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "INVENTORY_UPLOAD_RETENTION_DAYS", 10)
    old, recent = upload(days_ago=11), upload(days_ago=9)
    result = runner.invoke(args=["imports", "purge"])
    assert result.exit_code == 0 and "1 fichier" in result.output
    db.session.expire_all()
    assert db.session.get(InventoryImport, old) is None
    assert db.session.get(InventoryImport, recent) is not None


class FakeQueue:
    def __init__(self):
        self.options = {}

    def enqueue(self, func, *args, **options):
        self.options = options

        class Job:
            id = "job-1"

        return Job()


def test_redis_keeps_a_job_result_or_failure_as_long_as_the_setting_says(app, monkeypatch):
    queue = FakeQueue()
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "JOB_RESULT_RETENTION_HOURS", 6)
    monkeypatch.setattr(jobs, "queue", lambda: queue)
    jobs.enqueue(print, "labels")
    assert queue.options["result_ttl"] == 6 * 3600
    assert queue.options["failure_ttl"] == 6 * 3600


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_delay_below_one_is_refused_when_the_settings_are_read(monkeypatch, value):
    from equipbank.config import _positive_int

    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", value)
    with pytest.raises(RuntimeError, match="OUTBOX_RETENTION_DAYS"):
        _positive_int("OUTBOX_RETENTION_DAYS", 30)
