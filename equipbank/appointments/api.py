"""Follow-up appointments in the API: the list by advisor, status and period; outcomes."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.idempotency import idempotent
from equipbank.api.schemas import ErrorResponseSchema, page_of, paginate
from equipbank.appointments import services
from equipbank.appointments.models import Appointment
from equipbank.appointments.schemas import (
    AppointmentQuerySchema,
    AppointmentSchema,
    OutcomeCreateSchema,
)
from equipbank.auth.permissions import roles
from equipbank.codes import Role

blp = Blueprint(
    "api-appointments", __name__, url_prefix="/appointments", description="Rendez-vous de suivi"
)


@blp.route("")
@roles(Role.ADVISOR, Role.RELAY, Role.STAFF)
@blp.arguments(AppointmentQuerySchema, location="query")
@blp.response(200, page_of(AppointmentSchema))
def list_appointments(args):
    """Les rendez-vous : les siens pour un conseiller, ceux de ses remises pour un relais, tous pour l'équipe."""
    query = services.visible_appointments(current_user).order_by(Appointment.starts_at)
    if args.get("advisor") is not None:
        query = query.where(Appointment.advisor_id == args["advisor"])
    if args.get("status"):
        query = query.where(Appointment.status == args["status"])
    if args.get("from_"):
        query = query.where(Appointment.starts_at >= args["from_"])
    if args.get("to"):
        query = query.where(Appointment.starts_at < args["to"])
    return paginate(query, args)


@blp.route("/<int:appointment_id>")
@roles(Role.ADVISOR, Role.RELAY, Role.STAFF)
@blp.response(200, AppointmentSchema)
def get_appointment(appointment_id: int):
    return services.get_appointment(appointment_id, viewer=current_user)


@blp.route("/<int:appointment_id>/outcome", methods=["POST"])
@roles(Role.ADVISOR, Role.STAFF)
@idempotent(Appointment)
@blp.arguments(OutcomeCreateSchema)
@blp.response(200, AppointmentSchema)
@blp.alt_response(
    422,
    schema=ErrorResponseSchema,
    description="done without duration, topics, autonomy or confidence, or `held_at` in the "
    "future (or, without `held_at`, an appointment still to come)",
)
def record_outcome(data, appointment_id: int):
    """Le bilan : réalisé (quand, durée, thèmes, autonomie, confiance, suite), absent, ou annulé."""
    appointment = services.get_appointment(appointment_id, viewer=current_user)
    return services.record_outcome(appointment, services.OutcomeData(**data), actor=current_user)
