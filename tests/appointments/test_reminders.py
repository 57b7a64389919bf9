"""Reminders, cancellations and digests: received by a real SMTP server, each sent once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa

from equipbank import mail
from equipbank.appointments import reminders, services, tasks
from equipbank.appointments.models import Appointment, NotificationReceipt
from equipbank.clock import PARIS, utcnow
from equipbank.extensions import db
from tests import factories, invariants


def tomorrow_handover(relay_user, advisor, **beneficiary):
    person = factories.beneficiary(relay_user, **beneficiary)
    return factories.handover(relay_user, advisor_=advisor, beneficiary_=person, days=1)


def handover_in(relay_user, advisor, hours: int, **beneficiary):
    """A handover whose follow-up starts in `hours` hours."""
    person = factories.beneficiary(relay_user, **beneficiary)
    return factories.handover(
        relay_user,
        advisor_=advisor,
        beneficiary_=person,
        starts_at=utcnow() + timedelta(hours=hours),
    )


def calendar_of(message) -> icalendar.Event:
    part = next(
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    )
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_content()).walk(
        "VEVENT"
    )[0]


def test_the_reminder_reaches_advisor_and_consenting_beneficiary_with_a_calendar_file(
    smtp_server, relay_user, advisor
):
    handover = tomorrow_handover(
        relay_user, advisor, email="rose@example.org", email_reminders=True
    )
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    report = tasks.send_due()
    assert (report.sent, report.failed) == (2, 0)
    to_advisor = smtp_server.to("thomas@cnfs.example")[0]
    assert "Rappel : rendez-vous de suivi" in to_advisor["Subject"]
    body = to_advisor.get_body(("plain",)).get_content()
    assert (
        f"/rendez-vous/{appointment.id}" in body and "Martin" not in body
    )  # a first name and an initial only
    method, event = calendar_of(to_advisor)
    assert method == "REQUEST" and str(event["UID"]) == f"appointment-{appointment.id}@equipbank"
    assert event.decoded("DTSTART") == appointment.starts_at
    to_person = smtp_server.to("rose@example.org")[0]
    assert "Thomas Lambert" in to_person.get_body(("plain",)).get_content()
    assert calendar_of(to_person)[0] == "REQUEST"


def test_no_email_to_a_beneficiary_who_did_not_agree(smtp_server, relay_user, advisor):
    tomorrow_handover(relay_user, advisor, email="nope@example.org", email_reminders=False)
    tasks.send_due()
    assert (
        smtp_server.to("nope@example.org") == [] and len(smtp_server.to("thomas@cnfs.example")) == 1
    )


def test_a_far_or_past_appointment_gets_no_reminder(smtp_server, relay_user, advisor):
    factories.handover(relay_user, advisor_=advisor, days=5)
    assert tasks.send_due().sent == 0 and smtp_server.messages == []


def test_running_the_sweep_twice_sends_each_reminder_once(smtp_server, relay_user, advisor):
    tomorrow_handover(relay_user, advisor)
    tasks.send_due()
    second = tasks.send_due()
    assert (second.sent, second.skipped) == (0, 1)
    assert len(smtp_server.messages) == 1
    receipt = db.session.scalar(sa.select(NotificationReceipt))
    assert (receipt.result, receipt.recipient, receipt.attempts) == (
        "sent",
        f"advisor:{advisor.id}",
        1,
    )


def test_a_cancellation_after_the_reminder_is_sent_as_cancel(
    smtp_server, relay_user, advisor, client
):
    handover = tomorrow_handover(relay_user, advisor)
    tasks.send_due()
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    services.record_outcome(
        appointment, services.OutcomeData(status="cancelled_by_beneficiary"), actor=advisor
    )
    db.session.commit()
    tasks.send_due()
    cancel = smtp_server.messages[-1]
    method, event = calendar_of(cancel)
    assert (
        "Annulé" in cancel["Subject"] and method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    )
    assert int(event["SEQUENCE"]) == 1
    tasks.send_due()
    assert len(smtp_server.messages) == 2  # the cancellation, once


def test_the_morning_digest_once_a_day_after_seven(smtp_server, relay_user, advisor):
    handover = factories.handover(relay_user, advisor_=advisor, days=1)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    day = appointment.starts_at.astimezone(PARIS).date()
    six = datetime.combine(day, datetime.min.time(), tzinfo=PARIS).replace(hour=6)
    assert reminders.due_digests(six) == []
    eight = six.replace(hour=8)
    assert tasks.send_notices(reminders.due_digests(eight)).sent == 1
    assert tasks.send_notices(reminders.due_digests(eight + timedelta(hours=3))).sent == 0
    digest = smtp_server.to("thomas@cnfs.example")[-1]
    assert f"Votre journée du {day:%d/%m/%Y}" == digest["Subject"]
    assert (
        appointment.starts_at.astimezone(PARIS).strftime("%H:%M")
        in digest.get_body(("plain",)).get_content()
    )


def test_a_mail_server_down_is_a_failure_retried_by_the_next_sweep(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    tomorrow_handover(relay_user, advisor)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    assert tasks.send_due().failed == 1
    receipt = db.session.scalar(sa.select(NotificationReceipt))
    assert receipt.result == "failed" and receipt.error.startswith("ConnectionRefusedError")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    assert tasks.send_due().sent == 1
    db.session.refresh(receipt)
    assert (receipt.result, receipt.attempts) == ("sent", 2)


def test_a_reminder_the_mail_server_accepted_is_not_sent_again_when_its_goodbye_fails(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    """Issue 12, found by tests/test_faults_under_load.py: a mail server going down right
    after accepting a message answers the QUIT that follows with 421. The message is
    delivered: it used to be recorded as failed, and sent again by the next sweep."""
    tomorrow_handover(relay_user, advisor)

    async def shutting_down(server, session, envelope):
        return "421 4.3.2 Service shutting down"

    monkeypatch.setattr(smtp_server, "handle_QUIT", shutting_down, raising=False)
    assert tasks.send_due().sent == 1
    assert tasks.send_due().sent == 0
    assert len(smtp_server.to("thomas@cnfs.example")) == 1
    receipt = db.session.scalar(sa.select(NotificationReceipt))
    assert (receipt.result, receipt.attempts) == ("sent", 1)


def test_a_crash_between_sending_and_recording_repeats_the_reminder_never_loses_it(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    """The chosen behaviour (reminders.py): at least once after a crash, exactly once otherwise."""
    tomorrow_handover(relay_user, advisor)

    def crash(*args, **kwargs):
        raise SystemExit("worker killed after the SMTP server accepted the message")

    monkeypatch.setattr(reminders, "record", crash)
    with pytest.raises(SystemExit):
        tasks.send_due()
    db.session.rollback()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    assert len(smtp_server.messages) == 1
    assert tasks.send_due().sent == 0  # a fresh claim is someone else's send in progress
    receipt = db.session.scalar(sa.select(NotificationReceipt))
    receipt.claimed_at = utcnow() - timedelta(minutes=app.config["NOTIFICATION_STALE_MINUTES"] + 1)
    db.session.commit()
    assert tasks.send_due().sent == 1
    assert len(smtp_server.messages) == 2  # repeated, not lost


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (CI sets it)")
def test_two_rq_workers_at_once_send_each_reminder_once(app, smtp_server, relay_user, advisor):
    from equipbank import jobs

    for _ in range(3):
        tomorrow_handover(relay_user, advisor, email=f"p{_}@example.org", email_reminders=True)
    jobs.queue().empty()
    for _ in range(8):
        jobs.queue().enqueue(tasks.sweep)
    env = {
        **os.environ,
        "EQUIPBANK_CONFIG": "testing",
        "FLASK_APP": str(Path(__file__).resolve().parents[2] / "wsgi.py"),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RQ_QUEUE": app.config["RQ_QUEUE"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
    }
    flask = Path(sys.executable).with_name("flask")
    workers = [subprocess.Popen([str(flask), "rq", "worker", "--burst"], env=env) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    assert len(smtp_server.messages) == 6  # 3 appointments x (advisor + beneficiary), once each
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(
        ["thomas@cnfs.example"] * 3 + ["p0@example.org", "p1@example.org", "p2@example.org"]
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(NotificationReceipt)
            .where(NotificationReceipt.result == "sent")
        )
        == 6
    )


def test_without_a_mail_server_messages_go_to_the_outbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(tmp_path))
    mail.send(mail.Message("a@example.org", "Sujet é", "Bonjour"))
    [written] = list(tmp_path.iterdir())
    assert written.suffix == ".eml" and b"Bonjour" in written.read_bytes()


def test_flask_reminders_send_due_runs_the_sweep(runner, smtp_server, relay_user, advisor):
    tomorrow_handover(relay_user, advisor)
    result = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0 and "1 envoyé(s)" in result.output
    assert "0 envoyé(s)" in runner.invoke(args=["reminders", "send-due"]).output


class Clock:
    """The reminders' clock, moved by hand: sweeps "every 10 minutes" in a test that lasts a
    second."""

    def __init__(self, monkeypatch):
        self.now = utcnow()
        monkeypatch.setattr(reminders, "utcnow", lambda: self.now)

    def sweep_after(self, minutes: int) -> tasks.SweepReport:
        self.now += timedelta(minutes=minutes)
        return tasks.send_due()


def test_an_hour_without_a_mail_server_loses_no_reminder_due_later(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    """Issue 12: five failed sweeps used to drop a reminder for good."""
    handover_in(relay_user, advisor, 26)
    clock = Clock(monkeypatch)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # the mail server is down
    reports = [clock.sweep_after(0)] + [clock.sweep_after(10) for _ in range(6)]  # 60 minutes
    assert sum(report.failed for report in reports) == 7 and smtp_server.messages == []
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)  # back
    assert clock.sweep_after(10).sent == 1
    assert [clock.sweep_after(10).sent for _ in range(3)] == [0, 0, 0]
    assert len(smtp_server.to("thomas@cnfs.example")) == 1
    receipt = db.session.scalar(sa.select(NotificationReceipt))
    assert (receipt.result, receipt.attempts) == ("sent", 8)
    invariants.check_all()


def test_during_an_outage_one_send_per_sweep_probes_the_server_the_others_wait(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    for hours in (26, 30):
        handover_in(relay_user, advisor, hours)
    clock = Clock(monkeypatch)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)
    tried = [clock.sweep_after(0).failed] + [clock.sweep_after(10).failed for _ in range(6)]
    # The later one waits 2, 4, 8, 16, 32 minutes between its tries: not one per sweep.
    assert tried == [2, 2, 2, 2, 1, 2, 1]
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    assert clock.sweep_after(10).sent == 2  # the first send works: the waiting one goes too


def test_a_reminder_not_sent_before_the_appointment_is_shown_not_dropped(
    app, smtp_server, relay_user, advisor, monkeypatch, client, auth, admin
):
    handover = handover_in(relay_user, advisor, 2, email="rose@example.org", email_reminders=True)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)
    assert tasks.send_notices(reminders.due_reminders()).failed == 2
    assert reminders.unsent_reminders_count() == 0  # not yet: there is time to retry
    appointment.starts_at = utcnow() - timedelta(minutes=5)  # the appointment has started
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    assert tasks.send_notices(reminders.due_reminders()).sent == 0  # too late to remind
    assert smtp_server.messages == []
    assert reminders.unsent_reminders_count() == 2
    assert client.get("/api/v1/health").get_json()["unsent_reminders"] == 2

    assert "Rappels non envoyés (2)" in client.get("/equipe").text
    auth.logout()
    auth.login(advisor)
    assert "rappel non envoyé" in client.get("/conseiller").text
    page = client.get(f"/rendez-vous/{appointment.id}").text
    assert "Rappel non envoyé" in page and "au conseiller, à la personne" in page


def test_a_cancelled_appointment_has_no_unsent_reminder_to_show(
    app, smtp_server, relay_user, advisor, monkeypatch
):
    handover = handover_in(relay_user, advisor, 2)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)
    assert tasks.send_notices(reminders.due_reminders()).failed == 1
    services.record_outcome(
        appointment, services.OutcomeData(status="cancelled_by_service"), actor=advisor
    )
    appointment.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert reminders.unsent_reminders_count() == 0
