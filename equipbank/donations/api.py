"""Donations in the API: declare one, or import the donor's inventory file (DESIGN.md §5)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.devices import services as devices
from equipbank.devices.models import Device
from equipbank.devices.schemas import DeviceSchema, IntakeSchema
from equipbank.donations import services
from equipbank.donations.inventory import services as imports
from equipbank.donations.models import Donation
from equipbank.donations.schemas import (
    DonationCreateSchema,
    DonationQuerySchema,
    DonationSchema,
    ImportFormSchema,
    ImportQuerySchema,
    ImportReportSchema,
)
from equipbank.errors import DomainError, ValidationFailed, error_body
from equipbank.geo.services import resolve_commune
from equipbank.web import save_or_raise

blp = Blueprint("api-donations", __name__, url_prefix="/donations", description="Dons")


def _commune(code: str | None):
    if not code:
        return None
    commune = resolve_commune(code)
    if commune is None:
        raise ValidationFailed(
            "Commune inconnue.", fields={"pickup_commune": [f"Code INSEE inconnu : {code}."]}
        )
    return commune


def _pickup(data: dict, lines: list[services.LineInput]) -> services.DonationInput:
    return services.DonationInput(
        lines=lines,
        pickup_address=data.get("pickup_address"),
        pickup_commune=_commune(data.get("pickup_commune")),
        preferred_pickup_on=data.get("preferred_pickup_on"),
        erasure_certificate_requested=data.get("erasure_certificate_requested", False),
        notes=data.get("notes"),
    )


@blp.route("", methods=["POST"])
@roles(Role.STAFF, Role.DONOR)
@idempotent(Donation)
@blp.arguments(DonationCreateSchema)
@blp.response(201, DonationSchema)
@blp.alt_response(422, schema=ErrorResponseSchema)
def create_donation(data):
    """Déclarer un don : ses lignes d'équipements, où et quand les enlever."""
    lines = [services.LineInput(**line) for line in data["lines"]]
    return services.declare(_pickup(data, lines), donor_id=data.get("donor_id"), actor=current_user)


@blp.route("", methods=["GET"])
@roles(Role.STAFF, Role.DONOR, Role.REFURBISHER)
@blp.arguments(DonationQuerySchema, location="query")
@blp.response(200, page_of(DonationSchema))
def list_donations(args):
    """Les dons : tous pour l'équipe et l'atelier, les siens pour un donateur."""
    query = services.visible_donations(current_user)
    if args.get("status"):
        query = query.where(Donation.status == args["status"])
    return paginate(query, args)


@blp.route("/<int:donation_id>", methods=["GET"])
@roles(Role.STAFF, Role.DONOR, Role.REFURBISHER)
@blp.response(200, DonationSchema)
def get_donation(donation_id: int):
    return services.get_donation(donation_id, viewer=current_user)


@blp.route("/import", methods=["POST"])
@roles(Role.STAFF, Role.DONOR)
@blp.arguments(ImportQuerySchema, location="query")
@blp.arguments(ImportFormSchema, location="form", content_type="multipart/form-data")
@blp.response(200, ImportReportSchema, description="dry run: the check, nothing saved")
@blp.alt_response(
    201, schema=ImportReportSchema, description="imported: `donation` is the new donation"
)
@blp.alt_response(422, schema=ImportReportSchema, description="errors in the file: nothing saved")
def import_donation(query, form):
    """Vérifier (dry_run=true, par défaut) ou importer l'inventaire du donateur, en une transaction."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "Joignez le fichier (champ multipart « file »).", fields={"file": ["Fichier manquant."]}
        )
    donor = services.donor_for(current_user, form.get("donor_id"))
    parsed, mapping, result = imports.check_upload(
        upload.read(), upload.filename, donor, default_category=form.get("default_category")
    )
    report = {
        "rows": result.total,
        "valid": result.valid,
        "errors": result.errors,
        "warnings": result.warnings,
        "mapping": {
            field: parsed.headers[index]
            for field, index in mapping.columns.items()
            if index is not None
        },
        "lines": result.lines,
        "donation": None,
    }
    if query["dry_run"]:
        return report
    if not result.ok:
        message = f"{len(result.errors)} erreur(s) dans le fichier : rien n'a été importé."
        return {**report, **error_body("inventory_errors", message)}, 422
    try:
        donation = save_or_raise(
            lambda: services.declare_donation(
                donor, _pickup(form, imports.line_inputs(result.lines)), actor=current_user
            )
        )
    except DomainError as error:  # the pickup fields, say: the report comes back with the error
        return {**report, **error_body(error.code, error.message, error.fields)}, error.status
    return {**report, "donation": donation}, 201


@blp.route("/<int:donation_id>/devices", methods=["POST"])
@roles(Role.STAFF, Role.REFURBISHER)
@idempotent(Device, id_field="tag")
@blp.arguments(IntakeSchema)
@blp.response(201, DeviceSchema)
@blp.alt_response(
    409, schema=ErrorResponseSchema, description="serial already registered for that brand"
)
def intake(data, donation_id: int):
    """Réceptionner un équipement du don : la base attribue son numéro d'inventaire."""
    donation = services.get_donation(donation_id, viewer=current_user)
    device = devices.intake(donation, devices.IntakeData(**data), actor=current_user)
    return device
