"""Importing a donation from the donor's inventory file: upload, mapping, preview, import."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from redis.exceptions import RedisError

from equipbank import jobs, transaction
from equipbank.auth.permissions import roles
from equipbank.codes import InventoryImportStatus, OrganisationKind, Role
from equipbank.donations import services as donations
from equipbank.donations.forms import (
    ImportConfirmForm,
    InventoryUploadForm,
    MappingForm,
    donor_choices,
)
from equipbank.donations.inventory import reader, services, tasks
from equipbank.donations.models import InventoryImport
from equipbank.organisations.services import get_organisation, organisations_of_kinds
from equipbank.web import save_or_show

bp = Blueprint("imports", __name__, url_prefix="/dons/importer")

ISSUES_SHOWN = 200


@bp.route("/", methods=["GET", "POST"])
@roles(Role.STAFF, Role.DONOR)
def upload():
    form = InventoryUploadForm()
    if current_user.role == Role.STAFF:
        form.donor_id.choices = donor_choices(organisations_of_kinds(OrganisationKind.DONOR))
    if form.validate_on_submit():
        donor = (
            get_organisation(form.donor_id.data)
            if current_user.role == Role.STAFF
            else current_user.organisation
        )
        upload = form.file.data
        record = save_or_show(
            form,
            lambda: services.upload(
                donor, upload.filename or "inventaire", upload.read(), actor=current_user
            ),
        )
        if record is not None:
            return redirect(url_for("imports.preview", import_id=record.id))
    return render_template("donations/import_upload.html", form=form), 422 if form.errors else 200


def _page(record: InventoryImport, mapping_form=None, confirm_form=None, code: int = 200):
    if mapping_form is None:
        mapping_form = MappingForm(
            formdata=None,
            data={
                **record.mapping.get("columns", {}),
                "default_category": record.mapping.get("default_category") or "",
            },
        )
    mapping_form.set_headers(record.headers)
    if confirm_form is None:
        confirm_form = ImportConfirmForm(formdata=None)
        confirm_form.prefill_pickup(record.donor)
    confirm_form.fill_commune_choices()
    errors = [issue for issue in record.issues if issue["severity"] == "error"]
    warnings = [issue for issue in record.issues if issue["severity"] == "warning"]
    return (
        render_template(
            "donations/import_preview.html",
            record=record,
            mapping_form=mapping_form,
            confirm_form=confirm_form,
            errors=errors[:ISSUES_SHOWN],
            warnings=warnings[:ISSUES_SHOWN],
            warning_count=len(warnings),
            background=services.runs_in_background(record),
        ),
        code,
    )


@bp.route("/<int:import_id>")
@roles(Role.STAFF, Role.DONOR)
def preview(import_id: int):
    record = services.get_import(import_id, viewer=current_user)
    if record.status == InventoryImportStatus.IMPORTED:
        # Where a background import's progress page leads: the donation, with what was done.
        assert record.donation is not None  # an imported file has made its donation
        flash(
            f"Don {record.donation.reference} importé : {record.valid_rows} "
            f"équipement{'s' if record.valid_rows > 1 else ''}.",
            "success",
        )
        return redirect(url_for("donations.detail", donation_id=record.donation_id))
    try:
        recovery = services.recover_if_orphaned(record)
    except RedisError:  # the page still shows; whether its job runs is unknown for now
        recovery = None
        flash(
            "La file des tâches de fond ne répond pas : l'état de la tâche de ce fichier est "
            "inconnu pour l'instant, réessayez dans un instant.",
            "error",
        )
    if recovery in (services.Recovery.RETRIED, services.Recovery.RETRYING):
        flash(
            "La tâche de fond de ce fichier s'est interrompue : elle a été reprise "
            "automatiquement, vous n'avez rien à refaire. Rechargez la page dans un instant.",
            "info",
        )
    elif recovery is services.Recovery.RELEASED:
        flash(
            "La tâche de fond de ce fichier s'est interrompue : vous pouvez recommencer.", "error"
        )
    return _page(record)


@bp.route("/<int:import_id>/verification", methods=["POST"])
@roles(Role.STAFF, Role.DONOR)
def check(import_id: int):
    record = services.get_import(import_id, viewer=current_user)
    form = MappingForm()
    form.set_headers(record.headers)
    background = services.runs_in_background(record)
    mapping = reader.Mapping(
        columns=form.columns(), default_category=form.default_category.data or None
    )

    def apply() -> InventoryImport:
        services.set_mapping(record, mapping, check_in_background=background)
        if not background:
            services.run_check(record)
        return record

    if not form.validate() or save_or_show(form, apply) is None:
        return _page(
            services.get_import(import_id, viewer=current_user), mapping_form=form, code=422
        )
    if not background:
        return redirect(url_for("imports.preview", import_id=record.id, _anchor="resultat"))
    return _start_job(
        record, tasks.check_import, description=f"Vérification de {record.total_rows} lignes"
    )


@bp.route("/<int:import_id>/import", methods=["POST"])
@roles(Role.STAFF, Role.DONOR)
def run(import_id: int):
    record = services.get_import(import_id, viewer=current_user)
    if record.status == InventoryImportStatus.IMPORTED:
        assert record.donation is not None  # an imported file has made its donation
        flash(f"Ce fichier a déjà été importé : don {record.donation.reference}.", "info")
        return redirect(url_for("donations.detail", donation_id=record.donation_id))
    form = ImportConfirmForm()
    form.fill_commune_choices()
    if not form.validate():
        return _page(record, confirm_form=form, code=422)
    pickup = form.donation_input([], form.chosen_commune)
    background = services.runs_in_background(record)

    def start():
        donations.check_pickup(pickup)  # before a job is started: its errors belong on this form
        services.start_import(record)
        return (
            (None, None)
            if background
            else services.import_donation(record, pickup, actor=current_user)
        )

    outcome = save_or_show(form, start)
    if outcome is None:
        return _page(
            services.get_import(import_id, viewer=current_user), confirm_form=form, code=422
        )
    if background:
        description = f"Import de {record.total_rows} lignes"
        return _start_job(
            record,
            tasks.run_import,
            tasks.pickup_values(pickup),
            current_user.id,
            description=description,
        )
    donation, result = outcome
    if donation is None:
        flash(
            f"Le fichier contient {len(result.errors)} erreur(s) : rien n'a été importé.", "error"
        )
        return redirect(url_for("imports.preview", import_id=record.id, _anchor="resultat"))
    flash(
        f"Don {donation.reference} importé : {result.valid} équipements sur {len(result.lines)} lignes.",
        "success",
    )
    return redirect(url_for("donations.detail", donation_id=donation.id))


def _start_job(record: InventoryImport, task, *args, description: str):
    """Queue the upload's job; its id is kept, so a job the queue loses releases the upload."""
    target = url_for("imports.preview", import_id=record.id)
    # Saved before it is queued: the job must find the upload claimed (a view's early commit).
    transaction.commit()
    try:
        state = jobs.enqueue(task, record.id, *args, owner=current_user, description=description)
    except RedisError:
        services.release(services.get_import(record.id, viewer=current_user))
        flash(
            "La file des tâches de fond ne répond pas : rien n'a été lancé, réessayez dans un instant.",
            "error",
        )
        return redirect(target)
    if state.done:  # inline, without Redis: done already
        return redirect(target)
    record.job_id = state.id
    return redirect(url_for("jobs.progress", job_id=state.id, next=target))
