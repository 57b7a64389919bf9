"""Beneficiaries of a relay: a searchable list, their file, registering and editing them."""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank import throttle
from equipbank.appointments.models import Appointment
from equipbank.auth.permissions import roles
from equipbank.beneficiaries import document, retention, services
from equipbank.beneficiaries.forms import BeneficiaryFilters, BeneficiaryForm, ErasureForm
from equipbank.beneficiaries.models import Beneficiary
from equipbank.beneficiaries.schemas import BeneficiaryExportSchema
from equipbank.codes import Role
from equipbank.donations.services import bank_identity
from equipbank.errors import DomainError
from equipbank.extensions import db
from equipbank.forms import show_domain_error
from equipbank.handovers.models import Handover
from equipbank.jobs.views import send_file_result
from equipbank.urls import local_path
from equipbank.web import paginate, save_and_flash, save_or_raise

bp = Blueprint("beneficiaries", __name__, url_prefix="/beneficiaires")


@bp.route("/")
@roles(Role.RELAY, Role.STAFF)
def index():
    filters = BeneficiaryFilters(request.args)
    query = services.visible_beneficiaries(current_user, filters.q.data)
    page = paginate(query)
    services.record_list_read(
        current_user, "beneficiaries", count=len(page.items), searched=bool(filters.q.data)
    )
    return render_template("beneficiaries/index.html", page=page, filters=filters)


def _save_person(
    form: BeneficiaryForm, operation: Callable[[], Beneficiary]
) -> tuple[Beneficiary | None, list[services.PossibleDuplicate]]:
    """Register or edit; on a refusal, say why on the form. A possible duplicate also gives
    the people it was about, to name (ours) or only mention (another relay's), and its hits
    on other relays' people are journaled after the refusal's rollback, kept with this answer."""
    try:
        return save_or_raise(operation), []
    except services.PossibleDuplicates as refusal:
        services.journal_duplicate_hits(refusal.duplicates, actor=current_user)
        show_domain_error(form, refusal)
        return None, refusal.duplicates
    except DomainError as refusal:
        show_domain_error(form, refusal)
        return None, []


@bp.route("/nouveau", methods=["GET", "POST"])
@roles(Role.RELAY)
@throttle.duplicate_checks
def create():
    form = BeneficiaryForm()
    form.fill_commune_choices()
    duplicates: list[services.PossibleDuplicate] = []
    if form.validate_on_submit():
        created, duplicates = _save_person(
            form,
            lambda: services.create(
                form.beneficiary_data(form.chosen_commune),
                actor=current_user,
                confirmed_distinct=form.confirm_distinct.data,
            ),
        )
        if created is not None:
            # No name in a flash: it travels in the session cookie, which anyone can read.
            flash("Bénéficiaire enregistré(e).", "success")
            next_page = local_path(request.args.get("next"))
            return redirect(next_page or url_for("beneficiaries.detail", beneficiary_id=created.id))
    return (
        render_template(
            "beneficiaries/form.html",
            form=form,
            beneficiary=None,
            duplicates=duplicates,
        ),
        422 if form.errors else 200,
    )


@bp.route("/<int:beneficiary_id>")
@roles(Role.RELAY, Role.STAFF)
def detail(beneficiary_id: int):
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    services.record_access(beneficiary, viewer=current_user)
    handovers = db.session.scalars(
        sa.select(Handover)
        .where(Handover.beneficiary_id == beneficiary.id)
        .order_by(Handover.handed_at.desc())
    ).all()
    appointments = db.session.scalars(
        sa.select(Appointment)
        .where(Appointment.beneficiary_id == beneficiary.id)
        .order_by(Appointment.starts_at.desc())
    ).all()
    return render_template(
        "beneficiaries/detail.html",
        beneficiary=beneficiary,
        handovers=handovers,
        appointments=appointments,
        erasure_form=ErasureForm(formdata=None),
    )


@bp.route("/<int:beneficiary_id>/donnees.pdf")
@roles(Role.RELAY, Role.STAFF)
def export_pdf(beneficiary_id: int):
    """Right of access: everything held about the person, printed to hand over to them."""
    return _export(beneficiary_id, "pdf")


@bp.route("/<int:beneficiary_id>/donnees.json")
@roles(Role.RELAY, Role.STAFF)
def export_json(beneficiary_id: int):
    """Right of access: the same, as a file the person can take elsewhere."""
    return _export(beneficiary_id, "json")


def _export(beneficiary_id: int, file_format: str):
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    data = services.export_data(beneficiary, viewer=current_user, file_format=file_format)
    if file_format == "pdf":
        content = document.render_export(bank_identity(), data)
        content_type = "application/pdf"
    else:
        content = json.dumps(
            BeneficiaryExportSchema().dump(data), ensure_ascii=False, indent=2
        ).encode()
        content_type = "application/json"
    return send_file_result(
        {
            "content": content,
            "content_type": content_type,
            "filename": f"donnees-beneficiaire-{beneficiary.id}.{file_format}",
            "attachment": True,
        }
    )


@bp.route("/<int:beneficiary_id>/anonymisation", methods=["POST"])
@roles(Role.RELAY, Role.STAFF)
def anonymise(beneficiary_id: int):
    """Right of erasure: irreversible, with a reason (the page asks to confirm)."""
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    form = ErasureForm()
    if not form.validate_on_submit():
        flash("Choisissez le motif de l'anonymisation.", "error")
    else:
        save_and_flash(
            lambda: retention.anonymise(beneficiary, actor=current_user, reason=form.reason.data),
            "Fiche anonymisée.",
        )
    return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))


@bp.route("/<int:beneficiary_id>/modifier", methods=["GET", "POST"])
@roles(Role.RELAY)
@throttle.duplicate_checks
def edit(beneficiary_id: int):
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    form = BeneficiaryForm(obj=beneficiary, postal_code=_postal_code(beneficiary))
    form.consent.data = True  # given at registration (the page shows when); not asked again
    form.fill_commune_choices()
    duplicates: list[services.PossibleDuplicate] = []
    if form.validate_on_submit():
        saved, duplicates = _save_person(
            form,
            lambda: services.update(
                beneficiary,
                form.beneficiary_data(form.chosen_commune),
                actor=current_user,
                confirmed_distinct=form.confirm_distinct.data,
            ),
        )
        if saved is not None:
            flash("Fiche enregistrée.", "success")
            return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))
    services.record_access(beneficiary, viewer=current_user, purpose="edit")
    return (
        render_template(
            "beneficiaries/form.html",
            form=form,
            beneficiary=beneficiary,
            duplicates=duplicates,
        ),
        422 if form.errors else 200,
    )


def _postal_code(beneficiary: Beneficiary) -> str | None:
    """The postal code the commune select starts from: the commune's first one."""
    codes = beneficiary.commune.postal_code_list if beneficiary.commune else []
    return codes[0] if codes else None
