"""A donor's inventory file becomes a donation: upload, column mapping, check, import.

The pure reading and checking of the file is `reader`; this module adds what needs the
database (serials already registered, the stored upload, the donation itself). An import
saves the whole donation in one transaction, or nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from equipbank import jobs, transaction
from equipbank.audit import services as audit
from equipbank.clock import utcnow
from equipbank.codes import InventoryImportStatus, Role
from equipbank.donations import services as donations
from equipbank.donations.inventory import reader
from equipbank.donations.models import Donation, InventoryImport
from equipbank.errors import Conflict, InvalidTransition, NotFound
from equipbank.extensions import db
from equipbank.organisations.models import Organisation
from equipbank.status_machine import Move, StatusMachine

Status = InventoryImportStatus
# An upload is checked (now, or by a job showing "checking"), then claimed for its import;
# a new mapping takes it back to the start; a failed job takes it back one step.
MACHINE = StatusMachine(
    InventoryImportStatus,
    (
        Move(frozenset({Status.UPLOADED, Status.CHECKING, Status.CHECKED}), Status.UPLOADED),
        Move(frozenset({Status.UPLOADED, Status.CHECKING, Status.CHECKED}), Status.CHECKING),
        Move(frozenset({Status.UPLOADED, Status.CHECKING, Status.CHECKED}), Status.CHECKED),
        Move(frozenset({Status.UPLOADED, Status.CHECKED}), Status.IMPORTING),
        Move(frozenset({Status.IMPORTING}), Status.CHECKED),
        Move(frozenset({Status.IMPORTING}), Status.IMPORTED),
    ),
    describe=lambda record: f"Le fichier « {record.filename} »",
)
# The page shows the first issues; counts stay exact.
KEPT_ISSUES = 1000


@dataclass
class CheckResult:
    total: int
    valid: int
    errors: list[reader.RowIssue]
    warnings: list[reader.RowIssue]
    lines: list[reader.LineData]

    @property
    def ok(self) -> bool:
        return not self.errors and self.valid > 0


def get_import(import_id: int, *, viewer) -> InventoryImport:
    """The upload, if `viewer` may see it (a donor sees its own only); NotFound otherwise."""
    record = db.session.get(InventoryImport, import_id)
    if record is None or (viewer.role != Role.STAFF and record.donor_id != viewer.organisation_id):
        raise NotFound("Fichier d'inventaire introuvable.")
    return record


def check_file(
    parsed: reader.ParsedFile,
    mapping: reader.Mapping,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Check every row, then the serials against the devices already registered."""
    reader.check_mapping(mapping, parsed.headers)
    checked = reader.check_rows(parsed, mapping, progress=progress)
    errors = list(checked.errors)
    keys = {((row.brand or "").lower(), row.serial): row for row in checked.rows if row.serial}
    registered = donations.registered_serials(keys)
    for key, tag in registered.items():
        errors.append(
            reader.RowIssue(
                row=keys[key].row,
                field="serial",
                message=f"Le numéro de série {key[1]} est déjà enregistré : {tag}.",
            )
        )
    refused = {keys[key].row for key in registered}
    rows = [row for row in checked.rows if row.row not in refused]
    errors.sort(key=lambda issue: issue.row)
    return CheckResult(
        total=checked.total,
        valid=len(rows),
        errors=errors,
        warnings=checked.warnings,
        lines=reader.group_lines(rows),
    )


def line_inputs(lines: list[reader.LineData]) -> list[donations.LineInput]:
    return [
        donations.LineInput(
            category=line.category,
            quantity=line.quantity,
            brand=line.brand,
            model=line.model,
            serials=list(line.serials),
        )
        for line in lines
    ]


def max_rows(donor: Organisation) -> int:
    """The most rows of equipment one file of `donor` may hold: anyone can register a donor
    company and is logged in at once, so one not yet validated by staff gets a small file."""
    config = current_app.config
    if donor.is_validated:
        return config["INVENTORY_MAX_ROWS"]
    return min(config["INVENTORY_MAX_ROWS"], config["INVENTORY_UNVALIDATED_MAX_ROWS"])


def limits() -> reader.Limits:
    config = current_app.config
    return reader.Limits(
        max_blank_rows=config["INVENTORY_MAX_BLANK_ROWS"],
        max_columns=config["INVENTORY_MAX_COLUMNS"],
        max_cell_chars=config["INVENTORY_MAX_CELL_CHARS"],
        max_unzipped_bytes=config["INVENTORY_MAX_UNZIPPED_BYTES"],
        max_seconds=config["INVENTORY_MAX_READ_SECONDS"],
    )


def read(content: bytes, filename: str, donor: Organisation) -> reader.ParsedFile:
    """The file's rows; a file that cannot be read is refused on the `file` field, saying
    when the donor's validation would unlock a larger file."""
    try:
        return reader.read_inventory(content, filename, max_rows=max_rows(donor), limits=limits())
    except reader.InventoryFileError as error:
        message = error.message
        if error.limit == "rows" and not donor.is_validated:
            message += (
                f" Tant que « {donor.name} » n'est pas validé par la Banque du Numérique, un "
                f"import compte {_count(max_rows(donor))} lignes de matériel au plus : la "
                "validation de l'organisation porte cette limite à "
                f"{_count(current_app.config['INVENTORY_MAX_ROWS'])} lignes."
            )
        raise reader.InventoryFileError(
            message, limit=error.limit, fields={"file": [message]}
        ) from None


def _count(value: int) -> str:
    """20000 -> "20 000", with a non-breaking space as French typography wants."""
    return f"{value:,}".replace(",", "\u00a0")


def upload(donor: Organisation, filename: str, content: bytes, *, actor) -> InventoryImport:
    """Keep a readable inventory file and the mapping guessed from its header."""
    parsed = read(content, filename, donor)
    record = InventoryImport(
        donor=donor,
        created_by_id=actor.id,
        filename=filename[:255],
        content=content,
        headers=parsed.headers,
        mapping=asdict(reader.guess_mapping(parsed.headers)),
        total_rows=len(parsed.rows),
    )
    MACHINE.write(record, Status.UPLOADED)
    db.session.add(record)
    audit.record(
        "inventory_import.upload",
        record,
        actor=actor,
        summary={"donor_id": donor.id, "rows": len(parsed.rows), "format": parsed.format},
    )
    return record


def mapping_of(record: InventoryImport) -> reader.Mapping:
    return reader.Mapping(
        columns=dict(record.mapping.get("columns", {})),
        default_category=record.mapping.get("default_category"),
    )


def set_mapping(
    record: InventoryImport, mapping: reader.Mapping, *, check_in_background: bool
) -> None:
    """A new mapping: the previous check's result no longer holds. The check runs now (the
    caller calls `run_check`), or in a job, the upload showing "checking" meanwhile."""
    _require_open(record)
    reader.check_mapping(mapping, record.headers)
    record.mapping = asdict(mapping)
    _move(record, Status.CHECKING if check_in_background else Status.UPLOADED)
    record.issues, record.lines, record.checked_at = [], [], None
    record.valid_rows = record.error_count = 0


def run_check(record: InventoryImport, *, progress=None) -> CheckResult:
    """Check the stored file with its mapping and keep the result for the preview."""
    # The file is dropped only once imported, and an imported upload is never checked again.
    assert record.content is not None
    parsed = read(record.content, record.filename, record.donor)
    result = check_file(parsed, mapping_of(record), progress=progress)
    if record.status != Status.IMPORTING:
        _move(record, Status.CHECKED)
    record.checked_at = utcnow()
    record.total_rows, record.valid_rows, record.error_count = (
        result.total,
        result.valid,
        len(result.errors),
    )
    issues = [{**asdict(issue), "severity": "error"} for issue in result.errors]
    issues += [{**asdict(issue), "severity": "warning"} for issue in result.warnings]
    record.issues = issues[:KEPT_ISSUES]
    record.lines = [asdict(line) for line in result.lines]
    return result


def claim(record: InventoryImport, sources: tuple[InventoryImportStatus, ...]) -> bool:
    """Move the upload to `importing` if it is in one of `sources`, atomically.

    A conditional UPDATE, not a read then a write: two tabs (or two workers) confirming the
    same file at once cannot both win, on PostgreSQL (row lock, condition re-checked) as on
    SQLite (one writer at a time).
    """
    was = record.status
    try:
        MACHINE.compare_and_set(record, sources, Status.IMPORTING)
    except InvalidTransition:
        return False
    audit.record("inventory_import.status", record, summary={"from": was, "to": Status.IMPORTING})
    return True


def start_import(record: InventoryImport) -> None:
    """Claim the upload for an import; Conflict when it is imported or being imported."""
    if not claim(record, (Status.UPLOADED, Status.CHECKED)):
        if record.status == Status.IMPORTED and record.donation is not None:
            raise Conflict(
                f"Ce fichier a déjà été importé : don {record.donation.reference}.",
                code="already_imported",
            )
        raise Conflict("L'import de ce fichier est déjà en cours.", code="import_running")


def import_donation(
    record: InventoryImport, pickup: donations.DonationInput, *, actor, progress=None
) -> tuple[Donation | None, CheckResult]:
    """Check the claimed upload again (serials may have been registered since the preview)
    and save the donation with all its lines. With any error, no donation: the fresh check
    result is kept on the upload for the preview, and the caller commits just that."""
    if record.status != Status.IMPORTING:
        raise RuntimeError("start_import(record) first")
    result = run_check(record, progress=progress)
    if not result.ok:
        _move(record, Status.CHECKED)
        return None, result
    pickup.lines = line_inputs(result.lines)
    donation = donations.declare_donation(record.donor, pickup, actor=actor)
    record.donation = donation
    record.content = None  # the file served its purpose; the donation holds the data now
    # A compare-and-set: a second run of the import job at the same time (its first worker
    # taken for gone while it was not, see `recover_if_orphaned`) saves no second donation.
    MACHINE.compare_and_set(record, Status.IMPORTING, Status.IMPORTED)
    audit.record(
        "inventory_import.status", record, summary={"from": Status.IMPORTING, "to": Status.IMPORTED}
    )
    audit.record(
        "inventory_import.import",
        record,
        actor=actor,
        summary={"rows": result.valid, "lines": len(result.lines)},
    )
    return donation, result


def check_upload(
    content: bytes, filename: str, donor: Organisation, *, default_category: str | None = None
):
    """Read and check a file sent in one go (the API): its rows, the guessed mapping, the result."""
    parsed = read(content, filename, donor)
    mapping = reader.guess_mapping(parsed.headers)
    if default_category:
        mapping.default_category = default_category
    return parsed, mapping, check_file(parsed, mapping)


# What a job left behind: the upload goes back to the step before the job.
BEFORE_JOB = {Status.CHECKING: Status.UPLOADED, Status.IMPORTING: Status.CHECKED}
# Runs of an upload's check or import job, the first included, before it is given up.
MAX_JOB_ATTEMPTS = 3


class Recovery(enum.Enum):
    """What `recover_if_orphaned` found, or did, for an upload."""

    NOTHING = "nothing"  # waits for no job, or for its first run, queued or running
    RETRIED = "retried"  # its job was abandoned: queued again, now
    RETRYING = "retrying"  # its job, queued again earlier, is queued or running
    RELEASED = "released"  # its job is lost or was abandoned too often: back a step


def release(record: InventoryImport) -> None:
    """The check or import job of this upload failed or vanished: back to the step before."""
    if record.status in BEFORE_JOB:
        _move(record, BEFORE_JOB[Status(record.status)])
        record.job_id = None


def recover_if_orphaned(record: InventoryImport) -> Recovery:
    """An upload waiting for a job that was abandoned (started by a worker that no longer
    beats: killed, its machine down, known within `WORKER_GONE_AFTER_SECONDS`, not at the
    job's one-hour timeout; or failed without taking the upload back a step) has the job
    queued again, same function and arguments, up to `MAX_JOB_ATTEMPTS` runs in all. The
    killed run's transaction never committed: the upload still says checking or importing,
    and the new run does the whole work. A job Redis no longer knows (or without Redis), or
    abandoned a third time: the upload is released, so the person can start again.

    The new job is queued once this transaction commits, under an id saved now: the upload
    never points at a job nobody queued, but for a Redis that fails in between, after which
    the next recovery finds the job unknown and releases the upload."""
    if record.status not in BEFORE_JOB:
        return Recovery.NOTHING
    state = jobs.job_state(record.job_id) if record.job_id else None
    if state is not None and not _abandoned(state):
        return Recovery.RETRYING if state.attempts > 1 else Recovery.NOTHING
    if state is None or state.attempts >= MAX_JOB_ATTEMPTS:
        release(record)
        return Recovery.RELEASED
    new_id = jobs.new_job_id()
    if not _replace_job(record, state.id, new_id):
        return Recovery.NOTHING  # moved or recovered meanwhile (its job, the page, the sweep)
    audit.record(
        "inventory_import.retry",
        record,
        summary={
            "attempt": state.attempts + 1,
            "job_id": new_id,
            "abandoned_job_id": state.id,
            "abandoned_as": state.status,
        },
    )
    transaction.after_commit(jobs.retry, state.id, new_id=new_id)
    return Recovery.RETRIED


def _abandoned(state: jobs.JobState) -> bool:
    """Failed, or started by a worker gone; a queued job waits for a worker, however long."""
    if state.status == "failed":
        return True
    return state.status == "started" and not jobs.worker_alive(state.worker_name or "")


def _replace_job(record: InventoryImport, abandoned_id: str, new_id: str) -> bool:
    """Point the upload at its new job if it still waits for the abandoned one, in the same
    status, atomically: two recoveries at once (the page, the periodic job) queue one job."""
    # An UPDATE's result is a CursorResult, which has the row count; execute() says Result.
    changed = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(InventoryImport)
            .where(
                InventoryImport.id == record.id,
                InventoryImport.job_id == abandoned_id,
                InventoryImport.status == record.status,
            )
            .values(job_id=new_id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(record)
    return changed == 1


def waiting_for_a_job() -> list[InventoryImport]:
    """The uploads that say checking or importing, with the id of the job doing it."""
    return list(
        db.session.scalars(
            sa.select(InventoryImport)
            .where(
                InventoryImport.status.in_(list(BEFORE_JOB)), InventoryImport.job_id.is_not(None)
            )
            .order_by(InventoryImport.id)
        )
    )


def runs_in_background(record: InventoryImport) -> bool:
    return record.total_rows > current_app.config["INVENTORY_INLINE_MAX_ROWS"]


def _move(record: InventoryImport, target: InventoryImportStatus) -> None:
    """The one writer of an upload's status, along `MACHINE`'s table; one audit row a move."""
    source, target = MACHINE.check(record, target)
    MACHINE.write(record, target)
    audit.record("inventory_import.status", record, summary={"from": source, "to": target})


def _require_open(record: InventoryImport) -> None:
    if record.status in (Status.IMPORTED, Status.IMPORTING):
        raise Conflict(
            "Ce fichier est importé ou en cours d'import : il ne se modifie plus.",
            code="already_imported",
        )


def purge_abandoned(*, older_than_days: int) -> int:
    """Delete the uploads never imported and older than that: a donor's asset export may
    name its employees, and nothing is kept longer than it serves (DESIGN.md §7)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    # A DELETE's result is a CursorResult, which has the row count; execute() says Result.
    deleted = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.delete(InventoryImport).where(
                InventoryImport.status != Status.IMPORTED, InventoryImport.created_at < cutoff
            )
        ),
    ).rowcount
    if deleted:
        audit.record(
            "inventory_import.purge",
            "inventory_imports",
            summary={"deleted": deleted, "days": older_than_days},
        )
    return deleted
