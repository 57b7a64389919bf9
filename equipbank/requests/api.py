"""Requests in the API: a relay asks, staff allocate, the relay confirms receipt."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.devices import services as devices
from equipbank.devices.schemas import DeviceSchema
from equipbank.requests import services
from equipbank.requests.models import DeviceRequest
from equipbank.requests.schemas import (
    AllocateSchema,
    RequestCreateSchema,
    RequestQuerySchema,
    RequestSchema,
)

blp = Blueprint(
    "api-requests", __name__, url_prefix="/requests", description="Demandes d'équipements"
)
receipts = Blueprint(
    "api-receipts", __name__, url_prefix="/devices", description="Réception par les relais"
)


@blp.route("", methods=["POST"])
@roles(Role.RELAY)
@idempotent(DeviceRequest)
@blp.arguments(RequestCreateSchema)
@blp.response(201, RequestSchema)
def create_request(data):
    """Demander des équipements d'une catégorie."""
    request = services.create_request(services.RequestData(**data), actor=current_user)
    return request


@blp.route("", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.arguments(RequestQuerySchema, location="query")
@blp.response(200, page_of(RequestSchema))
def list_requests(args):
    """Les demandes : les siennes pour un relais, toutes pour l'équipe."""
    query = services.visible_requests(current_user).order_by(DeviceRequest.id)
    if args.get("status"):
        query = query.where(DeviceRequest.status == args["status"])
    return paginate(query, args)


@blp.route("/<int:request_id>", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.response(200, RequestSchema)
def get_request(request_id: int):
    return services.get_request(request_id, viewer=current_user)


@blp.route("/<int:request_id>/allocate", methods=["POST"])
@roles(Role.STAFF)
@blp.arguments(AllocateSchema)
@blp.response(200, RequestSchema)
@blp.alt_response(
    409,
    schema=ErrorResponseSchema,
    description="a device is not ready (reserved meanwhile): nothing reserved",
)
def allocate(data, request_id: int):
    """Réserver ces équipements prêts pour la demande, tous ou aucun."""
    request = services.get_request(request_id, viewer=current_user)
    services.allocate(request, data["tags"], actor=current_user)
    return request


@receipts.route("/<tag>/receive", methods=["POST"])
@roles(Role.RELAY)
@receipts.response(200, DeviceSchema)
def receive(tag: str):
    """Le relais confirme l'arrivée d'un équipement réservé pour lui : reserved -> at_relay."""
    device = devices.get_device(tag, viewer=current_user)
    services.receive(device, actor=current_user)
    return device
