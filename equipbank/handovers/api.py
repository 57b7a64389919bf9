"""Handovers in the API: always with a valid follow-up appointment, or 422 and nothing."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.appointments import services as appointments
from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.handovers import services
from equipbank.handovers.models import Handover
from equipbank.handovers.schemas import (
    AdvisorSchema,
    HandoverCreatedSchema,
    HandoverCreateSchema,
    HandoverQuerySchema,
    HandoverSchema,
    ReturnSchema,
)

blp = Blueprint(
    "api-handovers", __name__, url_prefix="/handovers", description="Remises aux bénéficiaires"
)
advisors = Blueprint(
    "api-advisors", __name__, url_prefix="/advisors", description="Conseillers numériques"
)


@blp.route("", methods=["POST"])
@roles(Role.RELAY)
@idempotent(Handover)
@blp.arguments(HandoverCreateSchema)
@blp.response(201, HandoverCreatedSchema)
@blp.alt_response(
    422,
    schema=ErrorResponseSchema,
    description="invalid follow-up, device not at this relay...: nothing written",
)
@blp.alt_response(
    409,
    schema=ErrorResponseSchema,
    description="the device was handed over already; or `advisor_overlap`: the advisor has "
    "another appointment then (send `allow_overlap: true` to book it all the same)",
)
def create_handover(data):
    """Remettre un équipement à un bénéficiaire, avec son rendez-vous de suivi, en une transaction."""
    followup = data["followup"]
    order = services.HandoverOrder(
        device_tag=data["device"],
        beneficiary_id=data["beneficiary"],
        handover=services.HandoverData(
            charter_accepted=data["charter_accepted"], accessories=data.get("accessories")
        ),
        followup=appointments.FollowupData(
            advisor_id=followup["advisor"],
            starts_at=followup["starts_at"],
            location_type=followup["location_type"],
            place=followup.get("place"),
            duration_minutes=followup["duration_minutes"],
        ),
        allow_overlap=data["allow_overlap"],
    )
    return services.record_handover(order, actor=current_user)


@blp.route("", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.arguments(HandoverQuerySchema, location="query")
@blp.response(200, page_of(HandoverSchema))
def list_handovers(args):
    return paginate(services.visible_handovers(current_user), args)


@blp.route("/<int:handover_id>", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@blp.response(200, HandoverSchema)
def get_handover(handover_id: int):
    return services.get_handover(handover_id, viewer=current_user)


@blp.route("/<int:handover_id>/return", methods=["POST"])
@roles(Role.RELAY, Role.STAFF)
@blp.arguments(ReturnSchema)
@blp.response(200, HandoverSchema)
def give_back(data, handover_id: int):
    """L'équipement revient : « returned », la remise close ; l'atelier le réceptionnera."""
    handover = services.get_handover(handover_id, viewer=current_user)
    services.return_device(handover, data["reason"], actor=current_user)
    return handover


@advisors.route("", methods=["GET"])
@roles(Role.RELAY, Role.STAFF)
@advisors.response(200, AdvisorSchema(many=True))
def list_advisors():
    """Les conseillers numériques actifs, pour choisir celui du rendez-vous de suivi."""
    return appointments.active_advisors()
