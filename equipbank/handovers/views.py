"""The handover flow of a relay, its receipt and calendar file, and returns."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank.appointments import services as appointments
from equipbank.auth.permissions import roles
from equipbank.beneficiaries import services as beneficiaries
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import today
from equipbank.codes import Role
from equipbank.db import as_id
from equipbank.devices import services as devices
from equipbank.errors import DomainError, ValidationFailed
from equipbank.extensions import db
from equipbank.forms import choices, show_domain_error
from equipbank.handovers import services
from equipbank.handovers.charter import CHARTER
from equipbank.handovers.forms import HandoverFilters, HandoverForm, ReturnForm
from equipbank.jobs.views import send_file_result
from equipbank.web import paginate, save_and_flash, save_or_raise

bp = Blueprint("handovers", __name__, url_prefix="/remises")


@bp.route("/")
@roles(Role.RELAY, Role.STAFF)
def index():
    """The handovers and their follow-up, searched and filtered (`HandoverFilters`)."""
    filters = HandoverFilters(request.args)
    criteria = filters.criteria()
    page = paginate(services.find_handovers(current_user, criteria))
    followups = appointments.latest_by_handover(handover.id for handover in page.items)
    beneficiaries.record_list_read(
        current_user,
        "handovers_overdue" if criteria.overdue_only else "handovers",
        count=len({handover.beneficiary_id for handover in page.items}),
        searched=criteria.names_searched,
    )
    return render_template(
        "handovers/index.html",
        page=page,
        filters=filters,
        followups=followups,
        is_overdue=appointments.is_overdue,
        overdue_only=criteria.overdue_only,
    )


def _fill_choices(form: HandoverForm) -> None:
    at_relay = devices.at_relay(current_user.organisation_id)
    form.device.choices = choices(
        (
            (device.tag, f"{device.tag} · {device.brand or ''} {device.model or ''}".strip())
            for device in at_relay
        ),
        blank="Choisissez l'équipement…" if at_relay else "Aucun équipement à votre structure",
    )
    people = db.session.scalars(
        beneficiaries.visible_beneficiaries(current_user).where(Beneficiary.anonymised_at.is_(None))
    ).all()
    form.beneficiary_id.choices = choices(
        (
            (person.id, f"{person.last_name} {person.first_name} ({person.birth_year})")
            for person in people
        ),
        blank="— Nouvelle personne (à enregistrer ci-dessous) —",
    )
    form.advisor.choices = choices(
        (
            (advisor.id, f"{advisor.name} · {advisor.organisation.name}")
            for advisor in appointments.active_advisors()
        ),
        blank="Choisissez le conseiller…",
    )
    form.fill_commune_choices()


@bp.route("/nouvelle", methods=["GET", "POST"])
@roles(Role.RELAY)
def create():
    """One flow: device, beneficiary (chosen or new), charter, follow-up; one transaction."""
    form = HandoverForm(
        formdata=request.form if request.method == "POST" else None,
        device=request.args.get("device"),
        beneficiary_id=as_id(request.args.get("beneficiary")),
    )
    _fill_choices(form)
    if request.method == "POST" and form.validate():
        done = _save(form)
        if done is not None:
            return done
    return render_template(
        "handovers/form.html", form=form, advisor_day=_advisor_day_of(form), charter=CHARTER
    ), 422 if form.errors else 200


def _advisor_day_of(form: HandoverForm) -> appointments.AdvisorDay | None:
    """The chosen advisor's day, shown with the form when it comes back (without JavaScript,
    the only way to see it)."""
    if not (form.advisor.data and form.starts_at.data):
        return None
    try:
        return _advisor_day(
            form.advisor.data, form.starts_at.data.date(), form.duration_minutes.data
        )
    except DomainError:
        return None  # the form says what is wrong with the advisor or the date


@bp.route("/disponibilites")
@roles(Role.RELAY, Role.STAFF)
def advisor_day():
    """The advisor's booked and free times on a day, as the part of the form that shows them
    (`static/js/handover.js` fetches it when the advisor or the date changes)."""
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        abort(400)
    return render_template(
        "handovers/_advisor_day.html",
        advisor_day=_advisor_day(
            as_id(request.args.get("advisor")),
            day,
            request.args.get("duration_minutes", type=int),
        ),
    )


def _advisor_day(
    advisor_id: int | None, day: date, duration: int | None
) -> appointments.AdvisorDay:
    if abs(day - today()) > appointments.MAX_AHEAD:
        # No appointment is booked that far (and the day's arithmetic could overflow).
        raise ValidationFailed("Choisissez une date dans l'année qui vient.")
    if duration is None or not 15 <= duration <= appointments.MAX_DURATION_MINUTES:
        duration = 60
    advisor = appointments.bookable_advisor(advisor_id)
    return appointments.advisor_day(advisor, day, duration_minutes=duration)


def _save(form: HandoverForm):
    """Write the beneficiary (when new), the handover and its appointment, or nothing."""
    order = form.order()
    try:
        result = save_or_raise(lambda: services.record_handover(order, actor=current_user))
    except services.AlreadyHandedOver as error:
        earlier = services.earlier_handover(error, order.device_tag, actor=current_user)
        if earlier is None:
            show_domain_error(form, error)
            return None
        flash("Cette remise est déjà enregistrée.", "info")
        return redirect(url_for("handovers.detail", handover_id=earlier.id))
    except beneficiaries.PossibleDuplicates as error:
        # After the refusal's rollback: kept with this answer, it says who learned of whom.
        beneficiaries.journal_duplicate_hits(error.duplicates, actor=current_user)
        show_domain_error(form, error)
        return None
    except DomainError as error:
        show_domain_error(form, error)
        return None
    handover = result.handover
    flash(
        # No name in a flash: it travels in the session cookie, which anyone can read.
        f"{handover.device.tag} remis. Imprimez le bon de remise et donnez le rendez-vous.",
        "success",
    )
    return redirect(url_for("handovers.detail", handover_id=handover.id))


@bp.route("/<int:handover_id>")
@roles(Role.RELAY, Role.STAFF)
def detail(handover_id: int):
    handover = services.get_handover(handover_id, viewer=current_user)
    beneficiaries.record_access(handover.beneficiary, viewer=current_user, purpose="view_handover")
    return render_template(
        "handovers/detail.html",
        handover=handover,
        appointment=services.first_appointment(handover),
        return_form=ReturnForm(formdata=None),
    )


@bp.route("/<int:handover_id>/bon-de-remise.pdf")
@roles(Role.RELAY, Role.STAFF)
def receipt(handover_id: int):
    handover = services.get_handover(handover_id, viewer=current_user)
    beneficiaries.record_access(handover.beneficiary, viewer=current_user, purpose="receipt")
    return send_file_result(
        {
            "content": services.receipt_pdf(handover),
            "content_type": "application/pdf",
            "filename": f"{handover.receipt_ref}.pdf",
        }
    )


@bp.route("/<int:handover_id>/rendez-vous.ics")
@roles(Role.RELAY, Role.STAFF)
def calendar_file(handover_id: int):
    handover = services.get_handover(handover_id, viewer=current_user)
    appointment = services.first_appointment(handover)
    assert appointment is not None  # a handover is saved with its follow-up appointment
    return send_file_result(
        {
            "content": appointments.appointment_ics(appointment, for_beneficiary=True),
            "content_type": "text/calendar",
            "filename": f"rendez-vous-{handover.receipt_ref}.ics",
            "attachment": True,
        }
    )


@bp.route("/<int:handover_id>/retour", methods=["POST"])
@roles(Role.RELAY, Role.STAFF)
def give_back(handover_id: int):
    handover = services.get_handover(handover_id, viewer=current_user)
    form = ReturnForm()
    if not form.validate():
        flash("Indiquez la raison du retour.", "error")
    else:
        save_and_flash(
            lambda: services.return_device(handover, form.reason.data, actor=current_user),
            f"Retour de {handover.device.tag} enregistré : rapportez-le à l'atelier pour un nouveau cycle.",
        )
    return redirect(url_for("handovers.detail", handover_id=handover_id))
