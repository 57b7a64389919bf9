"""The periodic sweep: reminders, cancellations and digests, each sent once; expired API keys.

Run every few minutes by `flask rq scheduler` (with Redis) or by cron through
`flask reminders send-due` (without). Safe to run twice, or on two workers at once: see the
once-only rule in `reminders.py`. What can wait a day (retention, expired files, the
journal's old addresses) is the daily housekeeping's (`privacy/tasks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from equipbank import jobs, mail, transaction
from equipbank.api import idempotency
from equipbank.appointments import reminders


@dataclass
class SweepReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by someone else, already sent, waiting or too late

    def __str__(self) -> str:
        return f"{self.sent} envoyé(s), {self.failed} en échec, {self.skipped} déjà traité(s)"


def send_notices(notices: list[reminders.Notice]) -> SweepReport:
    """Claim, send, record: one committed step per notification, so a crash costs at most
    the notification being sent.

    Until a send fails in this sweep the mail server is taken to be up, and failed
    notifications are retried at once: the first sweep after an outage sends what waited.
    After a failure, only those whose retry delay has passed are tried."""
    report = SweepReport()
    for notice in notices:
        receipt = reminders.claim(notice, retry_now=report.failed == 0)
        transaction.commit()  # claimed before sending: another worker skips it
        if receipt is None:
            report.skipped += 1
            continue
        try:
            mail.send(notice.message)
        except mail.MailError as error:
            reminders.record(receipt, error=str(error)[:200])
            report.failed += 1
            current_app.logger.warning("notification %s failed: %s", receipt.id, error)
        else:
            reminders.record(receipt, error=None)
            report.sent += 1
        transaction.commit()  # recorded at once: a crash later never sends it again
    return report


def send_due() -> SweepReport:
    """Everything due now: reminders, cancellations, the morning digests."""
    notices = reminders.due_reminders() + reminders.due_cancellations() + reminders.due_digests()
    return send_notices(notices)


@transaction.unit_of_work
def notify() -> str:
    """The notifications due now, alone: queued right after a cancellation."""
    return str(send_due())


@transaction.unit_of_work
def sweep() -> str:
    """The periodic job: the notifications due, and the API's expired idempotency keys (the
    privacy page promises IDEMPOTENCY_KEY_TTL_HOURS, not a day more)."""
    report = send_due()
    purged = idempotency.purge_expired()
    transaction.after_commit(jobs.beat, "sweep")  # its age in /api/v1/health
    return f"{report} ; {purged} clé(s) Idempotency-Key expirée(s) supprimée(s)"
