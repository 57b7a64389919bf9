from marshmallow import Schema, fields, validate

from equipbank.api.schemas import BodySchema, PageArgs
from equipbank.codes import DeviceCategory, RequestStatus
from equipbank.requests.services import MAX_REQUEST_QUANTITY


class RequestCreateSchema(BodySchema):
    category = fields.String(required=True, validate=validate.OneOf(DeviceCategory.codes()))
    quantity = fields.Integer(
        required=True, validate=validate.Range(min=1, max=MAX_REQUEST_QUANTITY)
    )
    note = fields.String(validate=validate.Length(max=2000))


class ReservationSchema(Schema):
    id = fields.Integer()
    tag = fields.Function(lambda reservation: reservation.device.tag)
    status = fields.String()
    reserved_at = fields.AwareDateTime()


class RequestSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": RequestStatus.codes()})
    category = fields.String()
    quantity = fields.Integer()
    note = fields.String(allow_none=True)
    relay_id = fields.Integer()
    relay_name = fields.String(attribute="relay.name")
    created_at = fields.AwareDateTime()
    reservations = fields.List(fields.Nested(ReservationSchema))


class RequestQuerySchema(PageArgs):
    status = fields.String(validate=validate.OneOf(RequestStatus.codes()))


class AllocateSchema(BodySchema):
    tags = fields.List(
        fields.String(), required=True, validate=validate.Length(min=1, max=MAX_REQUEST_QUANTITY)
    )
