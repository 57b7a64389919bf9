from marshmallow import Schema, fields, post_dump, pre_dump, validate

from equipbank.api.schemas import BodySchema, Id, PageArgs
from equipbank.appointments.schemas import AppointmentSchema
from equipbank.codes import LocationType


class FollowupSchema(BodySchema):
    advisor = Id(
        required=True, metadata={"description": "user id of an active advisor (GET /advisors)"}
    )
    starts_at = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with offset or Z"}
    )
    location_type = fields.String(required=True, validate=validate.OneOf(LocationType.codes()))
    place = fields.String(validate=validate.Length(max=300))
    duration_minutes = fields.Integer(load_default=60, validate=validate.Range(min=15, max=480))


class HandoverCreateSchema(BodySchema):
    device = fields.String(
        required=True, metadata={"description": "asset tag of a device at this relay"}
    )
    beneficiary = Id(required=True, metadata={"description": "id of a beneficiary of this relay"})
    followup = fields.Nested(FollowupSchema, required=True)
    accessories = fields.String(validate=validate.Length(max=300))
    charter_accepted = fields.Boolean(
        load_default=True,
        metadata={
            "description": "the relay attests the person accepted the charter; false refuses"
        },
    )
    allow_overlap = fields.Boolean(
        load_default=False,
        metadata={
            "description": "book the advisor even when they have another appointment in the "
            "slot (otherwise 409 `advisor_overlap`); the answer's `warnings` then names it"
        },
    )


class HandoverSchema(Schema):
    id = fields.Integer()
    device = fields.Function(lambda handover: handover.device.tag)
    beneficiary = fields.Integer(attribute="beneficiary_id")
    relay_id = fields.Integer()
    handed_at = fields.AwareDateTime()
    commune = fields.String(attribute="commune_code")
    accessories = fields.String(allow_none=True)
    receipt_ref = fields.String()
    returned_at = fields.AwareDateTime(allow_none=True)
    appointment = fields.Method("first_appointment")

    def first_appointment(self, handover):
        # From the relationship, which the list query loads for all listed handovers at once.
        appointment = next(iter(handover.appointments), None)
        return AppointmentSchema().dump(appointment) if appointment else None


class HandoverCreatedSchema(HandoverSchema):
    """A new handover (`services.HandoverResult`), with what the relay should know."""

    warnings = fields.List(
        fields.String(), metadata={"description": "e.g. the advisor has another appointment then"}
    )

    @pre_dump
    def _the_handover(self, result, **kwargs):
        return result.handover

    @post_dump(pass_original=True)
    def _with_warnings(self, data, result, **kwargs):
        return {**data, "warnings": result.warnings}


class HandoverQuerySchema(PageArgs):
    pass


class ReturnSchema(BodySchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class AdvisorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    organisation = fields.String(attribute="organisation.name")
