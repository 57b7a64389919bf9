"""Beneficiaries of a relay: a searchable list, their file, registering and editing them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank import throttle
from equipbank.appointments.models import Appointment
from equipbank.auth.permissions import roles
from equipbank.beneficiaries import services
from equipbank.beneficiaries.forms import BeneficiaryFilters, BeneficiaryForm
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.handovers.models import Handover
from equipbank.urls import local_path
from equipbank.web import paginate, save_or_show

bp = Blueprint("beneficiaries", __name__, url_prefix="/beneficiaires")


@bp.route("/")
@roles(Role.RELAY, Role.STAFF)
def index():
    filters = BeneficiaryFilters(request.args)
    query = services.visible_beneficiaries(current_user, filters.q.data)
    page = paginate(query)
    return render_template("beneficiaries/index.html", page=page, filters=filters)


def duplicates_to_show(
    form, beneficiary: Beneficiary | None = None
) -> list[services.PossibleDuplicate]:
    """The people the service's duplicate refusal was about, to name (ours) or date (others)."""
    if not form.confirm_distinct.errors:
        return []
    commune = form.resolve_commune(required=False)
    relay_id = beneficiary.relay_id if beneficiary else current_user.organisation_id
    return services.possible_duplicates(
        form.beneficiary_data(commune),
        relay_id=relay_id,
        exclude_id=beneficiary.id if beneficiary else None,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@roles(Role.RELAY)
@throttle.duplicate_checks
def create():
    form = BeneficiaryForm()
    form.fill_commune_choices()
    if form.validate_on_submit():
        commune = form.resolve_commune(required=True)
        if not form.errors:
            created = save_or_show(
                form,
                lambda: services.create(
                    form.beneficiary_data(commune),
                    actor=current_user,
                    confirmed_distinct=form.confirm_distinct.data,
                ),
            )
            if created is not None:
                # No name in a flash: it travels in the session cookie, which anyone can read.
                flash("Bénéficiaire enregistré(e).", "success")
                next_page = local_path(request.args.get("next"))
                return redirect(
                    next_page or url_for("beneficiaries.detail", beneficiary_id=created.id)
                )
    return (
        render_template(
            "beneficiaries/form.html",
            form=form,
            beneficiary=None,
            duplicates=duplicates_to_show(form),
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
    )


@bp.route("/<int:beneficiary_id>/modifier", methods=["GET", "POST"])
@roles(Role.RELAY)
@throttle.duplicate_checks
def edit(beneficiary_id: int):
    beneficiary = services.get_beneficiary(beneficiary_id, viewer=current_user)
    form = BeneficiaryForm(obj=beneficiary, postal_code=_postal_code(beneficiary))
    form.consent.data = True  # given at registration (the page shows when); not asked again
    form.fill_commune_choices()
    if form.validate_on_submit():
        commune = form.resolve_commune(required=True)
        if not form.errors:
            saved = save_or_show(
                form,
                lambda: services.update(
                    beneficiary,
                    form.beneficiary_data(commune),
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
            duplicates=duplicates_to_show(form, beneficiary),
        ),
        422 if form.errors else 200,
    )


def _postal_code(beneficiary: Beneficiary) -> str | None:
    """The postal code the commune select starts from: the commune's first one."""
    codes = beneficiary.commune.postal_code_list if beneficiary.commune else []
    return codes[0] if codes else None
