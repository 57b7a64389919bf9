"""Background work on donations: checking and importing large inventory files, and
queuing again those a killed worker abandoned.

Jobs receive ids and plain values, commit their own work, and are safe to run twice: the
check is repeatable, and the import is claimed once (see `services.start_import`) and saved
once (its last move is a compare-and-set).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from equipbank import jobs, transaction
from equipbank.auth.models import User
from equipbank.codes import InventoryImportStatus
from equipbank.donations import services as donations
from equipbank.donations.inventory import services
from equipbank.donations.models import InventoryImport
from equipbank.extensions import db
from equipbank.geo.models import Commune


def _progress(done: int, total: int) -> None:
    jobs.report_progress(done, total, f"{done} lignes vérifiées sur {total}")


@transaction.unit_of_work
def check_import(import_id: int) -> int:
    """Check an uploaded file; returns the number of rows in error."""
    record = db.session.get(InventoryImport, import_id)
    if record is None or record.status == InventoryImportStatus.IMPORTED:
        return 0
    try:
        result = services.run_check(record, progress=_progress)
    except Exception:
        _release(import_id)
        raise
    return len(result.errors)


def _release(import_id: int) -> None:
    """After a failure: the job's own changes are gone, the upload goes back a step."""
    transaction.rollback()
    record = db.session.get(InventoryImport, import_id)
    assert record is not None  # the job read it before failing
    services.release(record)
    # Saved although the job fails: the upload must not stay claimed by a dead job.
    transaction.commit()


def pickup_values(data: donations.DonationInput) -> dict:
    """What the import job needs of the pickup form, as plain JSON-able values."""
    return {
        "pickup_address": data.pickup_address,
        "pickup_commune": data.pickup_commune.code if data.pickup_commune else None,
        "preferred_pickup_on": data.preferred_pickup_on.isoformat()
        if data.preferred_pickup_on
        else None,
        "erasure_certificate_requested": data.erasure_certificate_requested,
        "notes": data.notes,
    }


@transaction.unit_of_work
def run_import(import_id: int, pickup: dict, actor_id: int) -> int | None:
    """Import a claimed upload; returns the donation id, or None when the file has errors."""
    record = db.session.get(InventoryImport, import_id)
    if record is None or record.status == InventoryImportStatus.IMPORTED:
        return record.donation_id if record else None
    try:
        donation, _ = services.import_donation(
            record,
            donations.DonationInput(
                lines=[],
                pickup_address=pickup["pickup_address"],
                pickup_commune=db.session.get(Commune, pickup["pickup_commune"])
                if pickup["pickup_commune"]
                else None,
                preferred_pickup_on=date.fromisoformat(pickup["preferred_pickup_on"])
                if pickup["preferred_pickup_on"]
                else None,
                erasure_certificate_requested=pickup["erasure_certificate_requested"],
                notes=pickup["notes"],
            ),
            actor=db.session.get(User, actor_id),
            progress=_progress,
        )
    except Exception:
        _release(import_id)
        raise
    return donation.id if donation else None


@transaction.unit_of_work
def recover_imports() -> str:
    """Queue again the checks and imports whose worker was killed (issue 12: "a killed import
    is retried within 2 minutes"); give up on those abandoned a third time
    (`services.recover_if_orphaned`, which the import page also calls).

    Queued by `flask rq scheduler` every `RECOVERY_INTERVAL_SECONDS` (60 s). A worker killed
    at time T beat last at T at the latest (it beats four times a minute, also during a job),
    so from T + `WORKER_GONE_AFTER_SECONDS` (60 s) it is taken for gone; the first recovery
    after that runs by T + 60 s + 60 s: the killed import is queued again within 2 minutes.
    Then a free worker runs it (systemd restarts the killed one within seconds). Two caveats
    to that bound: this job waits in the queue like the others, behind a long import on the
    only worker left; and with no worker at all, neither it nor the import runs until one
    starts.
    """
    outcomes = Counter(
        services.recover_if_orphaned(record) for record in services.waiting_for_a_job()
    )
    retried = outcomes[services.Recovery.RETRIED]
    released = outcomes[services.Recovery.RELEASED]
    return f"{retried} reprise(s), {released} libérée(s)"
