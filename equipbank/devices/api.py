"""Devices in the API: lists, detail with history, labels, erasure, transitions."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.devices import services, tasks
from equipbank.devices.models import Device, ErasureRecord
from equipbank.devices.schemas import (
    DeviceDetailSchema,
    DeviceQuerySchema,
    DeviceSchema,
    DiagnosticsCreateSchema,
    ErasureCreateSchema,
    ErasureSchema,
    TransitionSchema,
    device_detail_schema,
    device_list_schema,
)
from equipbank.jobs.views import send_file_result

blp = Blueprint("api-devices", __name__, url_prefix="/devices", description="Équipements")

VIEWERS = (Role.STAFF, Role.REFURBISHER, Role.RELAY, Role.DONOR)


@blp.route("")
@roles(*VIEWERS)
@blp.arguments(DeviceQuerySchema, location="query")
@blp.response(200, page_of(DeviceSchema))
def list_devices(args):
    """Les équipements visibles : tous pour l'équipe et l'atelier, les siens pour un relais ou un donateur."""
    query = services.visible_devices(current_user).order_by(Device.id)
    for name, column in (
        ("status", Device.status),
        ("category", Device.category),
        ("grade", Device.grade),
        ("holder", Device.holder_id),
        ("donation", Device.donation_id),
    ):
        if args.get(name) is not None:
            query = query.where(column == args[name])
    page = paginate(query, args)
    return jsonify({**page, "items": device_list_schema(current_user).dump(page["items"])})


@blp.route("/<tag>")
@roles(*VIEWERS)
@blp.response(200, DeviceDetailSchema)
def get_device(tag: str):
    """Un équipement et son historique ; un donateur n'y voit ni détenteur ni motifs."""
    device = services.get_device(tag, viewer=current_user)
    return jsonify(device_detail_schema(current_user).dump(device))


@blp.route("/<tag>/label.pdf")
@roles(Role.STAFF, Role.REFURBISHER)
@blp.response(
    200,
    description="PDF: one label, the QR of the device's absolute URL /d/<tag> and the tag in clear",
)
def label(tag: str):
    device = services.get_device(tag, viewer=current_user)
    return send_file_result(tasks.render_label_file([device.id], "single", 0))


@blp.route("/<tag>/erasure", methods=["POST"])
@roles(Role.STAFF, Role.REFURBISHER)
@idempotent(ErasureRecord)
@blp.arguments(ErasureCreateSchema)
@blp.response(201, ErasureSchema)
@blp.alt_response(
    409, schema=ErrorResponseSchema, description="the device is no longer at the workshop"
)
def erasure(data, tag: str):
    """Enregistrer l'effacement des données (une condition du passage à « ready »)."""
    device = services.get_device(tag, viewer=current_user)
    record = services.record_erasure(device, services.ErasureData(**data), actor=current_user)
    return record


@blp.route("/<tag>/diagnostics", methods=["POST"])
@roles(Role.STAFF, Role.REFURBISHER)
@blp.arguments(DiagnosticsCreateSchema)
@blp.response(200, DeviceSchema)
@blp.alt_response(
    422, schema=ErrorResponseSchema, description="a measure that does not apply to the category"
)
@blp.alt_response(
    409, schema=ErrorResponseSchema, description="the device is no longer at the workshop"
)
def diagnostics(data, tag: str):
    """Enregistrer le diagnostic : les seules mesures de la catégorie (un écran : sa taille)."""
    device = services.get_device(tag, viewer=current_user)
    services.record_diagnostics(device, services.Diagnostics(**data), actor=current_user)
    return device


@blp.route("/<tag>/transition", methods=["POST"])
@roles(Role.STAFF, Role.REFURBISHER)
@blp.arguments(TransitionSchema)
@blp.response(200, DeviceSchema)
@blp.alt_response(409, schema=ErrorResponseSchema, description="a move the status machine refuses")
def transition(data, tag: str):
    """Changer le statut (atelier : refurbishing, ready, recycled, parts ; équipe : lost aussi).

    `ready` demande `grade` et `functional_tests_passed: true` (ici ou avant), et un effacement
    réussi pour une catégorie qui stocke des données (pas `screen` ni `printer`)."""
    device = services.get_device(tag, viewer=current_user)
    services.move(
        device,
        data["to"],
        actor=current_user,
        reason=data.get("reason"),
        grade_code=data.get("grade"),
        functional_tests_passed=data.get("functional_tests_passed"),
    )
    return device
