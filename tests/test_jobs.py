"""Background jobs: inline without Redis, through a real rq worker with it."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from equipbank import jobs
from equipbank.audit import services as audit
from equipbank.audit.models import AuditEvent
from equipbank.extensions import db
from equipbank.organisations.models import Organisation
from tests import factories


def rename_organisation(organisation_id: int, name: str) -> str:
    """A job as later issues write them: ids in, commits its own work, reports progress."""
    organisation = db.session.get(Organisation, organisation_id)
    jobs.report_progress(1, 2, "renommage")
    organisation.name = name
    audit.record("organisation.rename", organisation, summary={"by": "job"})
    db.session.commit()
    return name


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_enqueue_refuses_to_run_beside_uncommitted_changes(app):
    organisation = factories.organisation()
    organisation.name = "pas encore enregistré"
    with pytest.raises(RuntimeError, match="commit before enqueueing"):
        jobs.enqueue(rename_organisation, organisation.id, "x")


def test_without_redis_a_job_runs_inline_after_the_commit(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    organisation = factories.organisation()
    state = jobs.enqueue(rename_organisation, organisation.id, "Clic & Déclic")
    assert state.status == "finished" and state.result == "Clic & Déclic"
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Clic & Déclic"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (CI sets it)")
def test_with_redis_a_worker_runs_the_job(app, runner):
    jobs.queue().empty()
    organisation = factories.organisation()
    before = audit_count()
    state = jobs.enqueue(rename_organisation, organisation.id, "Pimms Médiation")
    assert state.status == "queued"
    assert jobs.job_state(state.id).status == "queued"
    assert audit_count() == before  # nothing ran yet

    result = runner.invoke(args=["rq", "worker", "--burst"])
    assert result.exit_code == 0, result.output

    finished = jobs.job_state(state.id)
    assert (finished.status, finished.progress, finished.result) == (
        "finished",
        100,
        "Pimms Médiation",
    )
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Pimms Médiation"
    assert audit_count() == before + 1


def test_an_unknown_job_has_no_state(app):
    assert jobs.job_state("inline-123") is None
