"""Donation pages: a donor's declarations, the bank's follow-up, the public registration."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank import throttle
from equipbank.auth.permissions import public, roles
from equipbank.codes import OrganisationKind, Role
from equipbank.db import contains_text
from equipbank.devices import services as devices
from equipbank.donations import services
from equipbank.donations.forms import (
    MAX_FORM_LINES,
    CollectedForm,
    DonationFilters,
    DonationForm,
    DonorRegistrationForm,
    PickupPlanForm,
    donor_choices,
)
from equipbank.donations.models import Donation
from equipbank.organisations import services as organisations
from equipbank.organisations.models import Organisation
from equipbank.organisations.services import organisations_of_kinds
from equipbank.web import paginate, save_and_flash, save_or_show

bp = Blueprint("donations", __name__, url_prefix="/dons")

STAFF, DONOR, REFURBISHER = Role.STAFF, Role.DONOR, Role.REFURBISHER


@bp.route("/")
@roles(STAFF, DONOR, REFURBISHER)
def index():
    filters = DonationFilters(request.args)
    query = services.visible_donations(current_user).join(Donation.donor)
    if current_user.role == REFURBISHER and not filters.status.data:  # the workshop's default
        query = query.where(Donation.status.in_(services.INTAKE_OPEN))
    if filters.q.data and current_user.role != DONOR:
        query = query.where(contains_text(Organisation.name, filters.q.data))
    if filters.status.data:
        query = query.where(Donation.status == filters.status.data)
    page = paginate(query)
    return render_template("donations/index.html", page=page, filters=filters)


def _add_line_requested(form) -> bool:
    """The form's "Ajouter une ligne" button: one more empty line, nothing saved yet."""
    if "add_line" not in request.form:
        return False
    if len(form.lines) < MAX_FORM_LINES:
        form.lines.append_entry()
    return True


@bp.route("/nouveau", methods=["GET", "POST"])
@roles(STAFF, DONOR)
def create():
    form = DonationForm()
    if request.method == "GET" and current_user.role == DONOR:
        form.prefill_pickup(current_user.organisation)
    form.fill_commune_choices()
    if current_user.role == STAFF:
        form.donor_id.choices = donor_choices(organisations_of_kinds(OrganisationKind.DONOR))
    if request.method == "POST" and _add_line_requested(form):
        return render_template("donations/form.html", form=form)
    if form.validate_on_submit():
        donation = save_or_show(
            form,
            lambda: services.declare(
                form.donation_input(form.line_inputs(), form.chosen_commune),
                donor_id=form.donor_id.data if current_user.role == STAFF else None,
                actor=current_user,
            ),
        )
        if donation is not None:
            flash(
                f"Don {donation.reference} déclaré. Merci ! La Banque du Numérique vous contacte pour l'enlèvement.",
                "success",
            )
            return redirect(url_for("donations.detail", donation_id=donation.id))
    return render_template("donations/form.html", form=form), 422 if form.errors else 200


@bp.route("/<int:donation_id>")
@roles(STAFF, DONOR, REFURBISHER)
def detail(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    return render_template(
        "donations/detail.html",
        donation=donation,
        received=devices.received_per_line(donation),
        documents_available=services.documents_available(donation),
        has_erasures=bool(services.erased_devices(donation)),
        plan_form=PickupPlanForm(
            planned_on=donation.pickup_planned_on or donation.preferred_pickup_on
        ),
        timeline=services.timeline(donation),
        collected_early=services.collected_early(donation),
        collected_form=CollectedForm(planned_on=donation.pickup_planned_on),
    )


@bp.route("/<int:donation_id>/enlevement", methods=["POST"])
@roles(STAFF)
def plan_pickup(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    form = PickupPlanForm()
    if not form.validate():
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
        return redirect(url_for("donations.detail", donation_id=donation.id))
    planned_on = form.planned_on.data
    assert planned_on is not None  # the field is DataRequired
    return _apply(
        donation,
        lambda: services.plan_pickup(donation, planned_on, actor=current_user),
        f"Enlèvement planifié le {planned_on:%d/%m/%Y}.",
    )


@bp.route("/<int:donation_id>/collecte", methods=["POST"])
@roles(STAFF)
def mark_collected(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    form = CollectedForm()
    form.validate()  # the CSRF token; the box is read as ticked or not
    return _apply(
        donation,
        lambda: services.mark_collected(
            donation, actor=current_user, early_confirmed=bool(form.confirm_early.data)
        ),
        "Don marqué comme collecté.",
    )


@bp.route("/<int:donation_id>/cloture", methods=["POST"])
@roles(STAFF)
def close(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    return _apply(donation, lambda: services.close(donation, actor=current_user), "Don clôturé.")


@bp.route("/<int:donation_id>/annulation", methods=["POST"])
@roles(STAFF, DONOR)
def cancel(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    return _apply(donation, lambda: services.cancel(donation, actor=current_user), "Don annulé.")


@bp.route("/<int:donation_id>/valider-donateur", methods=["POST"])
@roles(STAFF)
def validate_donor(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    return _apply(
        donation,
        lambda: organisations.validate(donation.donor, actor=current_user),
        f"« {donation.donor.name} » est validé : l'enlèvement peut être planifié.",
    )


def _apply(donation: Donation, operation, done: str):
    save_and_flash(operation, done)
    return redirect(url_for("donations.detail", donation_id=donation.id))


@bp.route("/<int:donation_id>/attestation.pdf")
@roles(STAFF, DONOR)
def attestation(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    return _document(donation, services.attestation_pdf, f"attestation-{donation.reference}.pdf")


@bp.route("/<int:donation_id>/certificat-effacement.pdf")
@roles(STAFF, DONOR)
def erasure_certificate(donation_id: int):
    donation = services.get_donation(donation_id, viewer=current_user)
    if services.documents_available(donation) and not services.erased_devices(donation):
        flash(
            "Aucun équipement de ce don n'a été effacé (écrans et imprimantes n'ont rien à "
            "effacer) : il n'y a pas de certificat d'effacement.",
            "error",
        )
        return redirect(url_for("donations.detail", donation_id=donation.id))
    return _document(
        donation,
        services.erasure_certificate_pdf,
        f"certificat-effacement-{donation.reference}.pdf",
    )


def _document(donation: Donation, render, filename: str):
    from equipbank.jobs.views import send_file_result

    if not services.documents_available(donation):
        flash(
            "Les documents sont disponibles quand chaque équipement du don qui stocke des "
            "données est effacé, ou recyclé.",
            "error",
        )
        return redirect(url_for("donations.detail", donation_id=donation.id))
    services.record_document_download(donation, filename, actor=current_user)
    return send_file_result(
        {"content": render(donation), "content_type": "application/pdf", "filename": filename}
    )


@bp.route("/devenir-donateur", methods=["GET", "POST"])
@public
@throttle.registrations
def register():
    """A company the bank does not know yet registers and declares its first donation."""
    if current_user.is_authenticated:
        return redirect(url_for("donations.create" if current_user.role == DONOR else "home.index"))
    form = DonorRegistrationForm()
    form.fill_commune_choices()
    if request.method == "POST" and _add_line_requested(form):
        return render_template("donations/register.html", form=form)
    if form.validate_on_submit():
        if form.website.data:  # the hidden field only robots fill
            return redirect(url_for("auth.login"))
        commune = form.chosen_commune
        save_or_show(
            form,
            lambda: services.register_donor_company(
                services.CompanyRegistration(
                    company_name=form.company_name.data,
                    siret=form.siret.data,
                    contact_name=form.contact_name.data,
                    email=form.email.data,
                    password=form.password.data,
                    address=form.company_address.data,
                    postal_code=form.postal_code.data,
                    commune=commune,
                    phone=form.phone.data,
                ),
                form.donation_input(form.line_inputs(), commune),
            ),
        )
        if not form.errors:  # the same page whether the address had an account or not
            return redirect(url_for("donations.registered"))
    return render_template("donations/register.html", form=form), 422 if form.errors else 200


@bp.route("/inscription-envoyee")
@public
def registered():
    return render_template("donations/registered.html")
