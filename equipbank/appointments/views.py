"""The follow-up appointments: the advisor's work, the relay's follow-up, the calendar feed."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank.appointments import reminders, services
from equipbank.appointments.forms import OutcomeForm, RescheduleForm
from equipbank.appointments.models import Appointment
from equipbank.auth.permissions import public, roles
from equipbank.beneficiaries import services as beneficiaries
from equipbank.clock import PARIS, utcnow
from equipbank.codes import AppointmentStatus, Role
from equipbank.extensions import db
from equipbank.forms import choices
from equipbank.jobs.views import send_file_result
from equipbank.urls import external_url
from equipbank.web import save_or_show

bp = Blueprint("appointments", __name__)

VIEWERS = (Role.ADVISOR, Role.STAFF, Role.RELAY)


def _reschedule_form(appointment: Appointment, formdata=None) -> RescheduleForm:
    """Prefilled for one click: the same advisor, place and time, a week later."""
    next_week = appointment.starts_at.astimezone(PARIS) + timedelta(days=7)
    form = RescheduleForm(
        formdata=formdata,
        advisor=appointment.advisor_id,
        starts_at=next_week.replace(tzinfo=None),
        duration_minutes=appointment.duration_minutes,
        location_type=appointment.location_type,
        place=appointment.place,
    )
    form.advisor.choices = choices(
        (advisor.id, advisor.name) for advisor in services.active_advisors()
    )
    return form


def _outcome_form(appointment: Appointment) -> OutcomeForm:
    """Prefilled with the recorded outcome, for a correction. The session's time is the
    planned one once it has passed; before, the advisor says when it was held."""
    recorded = appointment.status != AppointmentStatus.SCHEDULED
    held_at = appointment.held_at or (
        appointment.starts_at if appointment.starts_at <= utcnow() else None
    )
    return OutcomeForm(
        formdata=None,
        status=appointment.status if recorded else None,
        duration_minutes=appointment.outcome_duration_minutes,
        topics=appointment.topics,
        autonomy=appointment.autonomy,
        confidence=str(appointment.confidence) if appointment.confidence else None,
        next_step=appointment.next_step,
        held_at=held_at.astimezone(PARIS).replace(tzinfo=None) if held_at else None,
    )


def _page(appointment: Appointment, outcome_form=None, reschedule_form=None, code: int = 200):
    beneficiaries.record_access(appointment.beneficiary, viewer=current_user, purpose="appointment")
    return (
        render_template(
            "appointments/detail.html",
            appointment=appointment,
            chain=services.chain(appointment),
            successor=services.successor(appointment),
            outcome_form=outcome_form or _outcome_form(appointment),
            reschedule_form=reschedule_form or _reschedule_form(appointment),
            can_record=services.can_record_outcome(current_user, appointment),
            is_future=appointment.starts_at > utcnow(),
            unsent_reminder=reminders.unsent_reminders([appointment]).get(appointment.id),
        ),
        code,
    )


@bp.route("/rendez-vous/<int:appointment_id>")
@roles(*VIEWERS)
def detail(appointment_id: int):
    """The appointment, with the person's contact: shown here only, to who follows them."""
    return _page(services.get_appointment(appointment_id, viewer=current_user))


@bp.route("/rendez-vous/<int:appointment_id>/bilan", methods=["POST"])
@roles(Role.ADVISOR, Role.STAFF)
def outcome(appointment_id: int):
    appointment = services.get_appointment(appointment_id, viewer=current_user)
    form = OutcomeForm()
    if form.validate() and save_or_show(
        form, lambda: services.record_outcome(appointment, form.outcome(), actor=current_user)
    ):
        flash("Bilan enregistré.", "success")
        return redirect(url_for("appointments.detail", appointment_id=appointment.id))
    return _page(
        services.get_appointment(appointment_id, viewer=current_user), outcome_form=form, code=422
    )


@bp.route("/rendez-vous/<int:appointment_id>/nouveau", methods=["POST"])
@roles(*VIEWERS)
def reschedule(appointment_id: int):
    """A new appointment after this one (one click after a no-show), or this one moved."""
    appointment = services.get_appointment(appointment_id, viewer=current_user)
    form = _reschedule_form(appointment, formdata=request.form)
    if form.validate():
        new = save_or_show(
            form,
            lambda: services.reschedule(
                appointment,
                form.followup(),
                actor=current_user,
                previous_status=form.previous_status.data or None,
                allow_overlap=form.allow_overlap.data,
            ),
        )
        if new is not None:
            flash("Nouveau rendez-vous enregistré.", "success")
            return redirect(url_for("appointments.detail", appointment_id=new.id))
    return _page(
        services.get_appointment(appointment_id, viewer=current_user),
        reschedule_form=form,
        code=422,
    )


@bp.route("/rendez-vous/<int:appointment_id>/rendez-vous.ics")
@roles(*VIEWERS)
def calendar_file(appointment_id: int):
    appointment = services.get_appointment(appointment_id, viewer=current_user)
    return send_file_result(
        {
            "content": services.appointment_ics(appointment),
            "content_type": "text/calendar",
            "filename": f"rendez-vous-{appointment.id}.ics",
            "attachment": True,
        }
    )


@bp.route("/rendez-vous/a-renseigner")
@roles(Role.ADVISOR)
def to_fill():
    appointments = db.session.scalars(services.to_fill(current_user)).all()
    beneficiaries.record_list_read(
        current_user, "advisor_to_fill", count=len({a.beneficiary_id for a in appointments})
    )
    return render_template("appointments/to_fill.html", appointments=appointments)


@bp.route("/calendrier", methods=["GET", "POST"])
@roles(Role.ADVISOR)
def calendar():
    """The private feed address calendar apps subscribe to; a new one revokes the old."""
    feed_url = None
    if request.method == "POST":
        token = services.new_calendar_token(current_user, actor=current_user)
        feed_url = external_url("appointments.feed", token=token)
    # The feed address is a credential: never cached (`security.py` sends no-store).
    return render_template("appointments/calendar.html", feed_url=feed_url)


@bp.route("/calendrier/<token>.ics")
@public
def feed(token: str):
    advisor = services.advisor_from_calendar_token(token)
    if advisor is None:
        abort(404)
    return send_file_result(
        {
            "content": services.feed_ics(advisor),
            "content_type": "text/calendar",
            "filename": "suivis.ics",
        }
    )
