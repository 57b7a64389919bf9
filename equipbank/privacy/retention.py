"""The retention of what the app keeps besides the beneficiaries' files, applied by the
daily housekeeping (`tasks.py`): emails written to the outbox and inventory uploads never
imported.

Background jobs' results need no housekeeping: Redis forgets them after
`JOB_RESULT_RETENTION_HOURS` (`jobs.enqueue` gives rq that lifetime). The PDFs (labels,
receipts, attestations) are rendered on each download and never stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app

from equipbank import mail
from equipbank.audit import services as audit
from equipbank.donations.inventory import services as imports


@dataclass(frozen=True)
class FilesPurged:
    uploads: int
    emails: int

    def __str__(self) -> str:
        return (
            f"{self.uploads} fichier(s) d'inventaire purgé(s), "
            f"{self.emails} e-mail(s) de la boîte d'envoi supprimé(s)"
        )


def purge_expired_files() -> FilesPurged:
    """Everything past its delay, each delay read from the settings."""
    config = current_app.config
    return FilesPurged(
        uploads=imports.purge_abandoned(older_than_days=config["INVENTORY_UPLOAD_RETENTION_DAYS"]),
        emails=purge_outbox(older_than_days=config["OUTBOX_RETENTION_DAYS"]),
    )


def purge_outbox(*, older_than_days: int) -> int:
    """Delete the outbox's `.eml` files written more than that many days ago: each one holds
    a recipient's address and, for a reminder, an appointment."""
    folder = mail.outbox_path()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_days * 86400
    deleted = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # a housekeeping running beside this one took it first
            continue
    if deleted:
        audit.record(
            "mail.outbox_purge", "outbox", summary={"deleted": deleted, "days": older_than_days}
        )
    return deleted
