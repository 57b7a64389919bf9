"""Admin pages of the organisations (staff with `is_admin`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank.auth.permissions import admin_only, roles
from equipbank.codes import Role
from equipbank.db import contains_text
from equipbank.organisations import services
from equipbank.organisations.forms import OrganisationFilters, OrganisationForm
from equipbank.organisations.models import Organisation
from equipbank.web import paginate, save_and_flash, save_or_show

bp = Blueprint("organisations", __name__, url_prefix="/admin/organisations")


@bp.route("/")
@admin_only
def index():
    filters = OrganisationFilters(request.args)
    query = sa.select(Organisation).order_by(Organisation.name)
    if filters.q.data:
        query = query.where(contains_text(Organisation.name, filters.q.data))
    if filters.kind.data:
        query = query.where(Organisation.kind == filters.kind.data)
    if filters.state.data != "all":
        query = query.where(Organisation.is_active.is_(filters.state.data != "inactive"))
    page = paginate(query)
    return render_template("organisations/index.html", page=page, filters=filters)


@bp.route("/nouvelle", methods=["GET", "POST"])
@admin_only
def create():
    return _form_page(None)


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@admin_only
def edit(organisation_id: int):
    return _form_page(services.get_organisation(organisation_id))


def _form_page(organisation: Organisation | None):
    form = OrganisationForm(obj=organisation)
    form.fill_commune_choices()
    if form.validate_on_submit():
        data = form.to_data(form.chosen_commune)
        if organisation is None:
            saved = save_or_show(
                form, lambda: services.create_organisation(data, actor=current_user)
            )
        else:
            saved = save_or_show(
                form,
                lambda: services.update_organisation(organisation, data, actor=current_user),
            )
        if saved is not None:
            flash(f"Organisation « {saved.name} » enregistrée.", "success")
            return redirect(url_for("organisations.index"))
    status = 422 if form.errors else 200
    return render_template("organisations/form.html", form=form, organisation=organisation), status


@bp.route("/<int:organisation_id>/desactiver", methods=["POST"])
@admin_only
def deactivate(organisation_id: int):
    return _set_active(
        organisation_id, False, "désactivée : ses comptes ne peuvent plus se connecter"
    )


@bp.route("/<int:organisation_id>/valider", methods=["POST"])
@roles(Role.STAFF)  # validating a company is staff work, like on the donation's page
def validate(organisation_id: int):
    organisation = services.get_organisation(organisation_id)
    save_and_flash(
        lambda: services.validate(organisation, actor=current_user),
        f"« {organisation.name} » est validée : ses enlèvements peuvent être planifiés.",
    )
    return redirect(url_for("organisations.edit", organisation_id=organisation_id))


@bp.route("/<int:organisation_id>/reactiver", methods=["POST"])
@admin_only
def reactivate(organisation_id: int):
    return _set_active(organisation_id, True, "réactivée")


def _set_active(organisation_id: int, active: bool, done: str):
    organisation = services.get_organisation(organisation_id)
    save_and_flash(
        lambda: services.set_active(organisation, active, actor=current_user),
        f"Organisation « {organisation.name} » {done}.",
    )
    return redirect(url_for("organisations.edit", organisation_id=organisation_id))
