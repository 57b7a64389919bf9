"""The daily housekeeping of personal data, apart from the sweep of every few minutes.

Anonymising the people past their retention, deleting the files past their delay and
truncating the journal's old addresses count in months or days: once a day is enough, and
the sweep (`appointments/tasks.py`) keeps to what is due within minutes. Queued by
`flask rq scheduler` at `HOUSEKEEPING_CRON`, or run by cron through
`flask privacy housekeeping`. Each step finds what is due at the time it runs: safe to run
twice, and a day missed is caught up by the next.
"""

from __future__ import annotations

from equipbank import transaction
from equipbank.audit import services as audit
from equipbank.beneficiaries import retention as people
from equipbank.privacy import retention as files


@transaction.unit_of_work
def housekeeping() -> str:
    """Beneficiaries past their retention, expired files, the journal's old addresses."""
    anonymised = people.apply_retention()
    purged = files.purge_expired_files()
    truncated = audit.truncate_expired_ips()  # journaled; keeps the chain valid
    return f"{anonymised} ; {purged} ; {truncated} adresse(s) IP tronquée(s)"
