from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from equipbank.api.schemas import BodySchema, Id, PageArgs
from equipbank.codes import AppointmentStatus, Autonomy, NextStep, Topic

OUTCOMES = [status.value for status in AppointmentStatus if status != AppointmentStatus.SCHEDULED]


class OutcomeSchema(Schema):
    duration_minutes = fields.Integer(attribute="outcome_duration_minutes", allow_none=True)
    topics = fields.List(fields.String())
    autonomy = fields.String(allow_none=True)
    confidence = fields.Integer(allow_none=True)
    next_step = fields.String(allow_none=True)
    held_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "when the session took place (the planned time, or earlier)"},
    )
    recorded_at = fields.AwareDateTime(attribute="outcome_recorded_at", allow_none=True)


class AppointmentSchema(Schema):
    id = fields.Integer()
    handover = fields.Integer(attribute="handover_id", allow_none=True)
    device = fields.Function(lambda a: a.handover.device.tag if a.handover else None)
    beneficiary = fields.Integer(attribute="beneficiary_id")
    advisor = fields.Integer(attribute="advisor_id")
    starts_at = fields.AwareDateTime()
    duration_minutes = fields.Integer()
    location_type = fields.String()
    place = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": AppointmentStatus.codes()})
    rescheduled_from = fields.Integer(attribute="rescheduled_from_id", allow_none=True)
    outcome = fields.Function(
        lambda a: OutcomeSchema().dump(a) if a.status == AppointmentStatus.DONE else None
    )


class AppointmentQuerySchema(PageArgs):
    advisor = Id(metadata={"description": "the advisor's user id (an advisor sees only their own)"})
    status = fields.String(validate=validate.OneOf(AppointmentStatus.codes()))
    from_ = fields.AwareDateTime(
        data_key="from", metadata={"description": "starts at or after (ISO 8601 with offset)"}
    )
    to = fields.AwareDateTime(metadata={"description": "starts before (ISO 8601 with offset)"})

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("La fin précède le début.", field_name="to")


class OutcomeCreateSchema(BodySchema):
    status = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    duration_minutes = fields.Integer(validate=validate.Range(min=1, max=480))
    topics = fields.List(fields.String(validate=validate.OneOf(Topic.codes())), load_default=list)
    autonomy = fields.String(validate=validate.OneOf(Autonomy.codes()))
    confidence = fields.Integer(validate=validate.Range(min=1, max=4))
    next_step = fields.String(validate=validate.OneOf(NextStep.codes()))
    held_at = fields.AwareDateTime(
        metadata={
            "description": "for `done`: when the session took place, not in the future "
            "(ISO 8601 with offset); default: as recorded before, else the planned start"
        }
    )
