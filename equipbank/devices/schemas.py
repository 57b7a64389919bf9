from __future__ import annotations

from typing import TYPE_CHECKING

from marshmallow import Schema, fields, validate

from equipbank.api.schemas import BodySchema, Id, PageArgs
from equipbank.codes import DeviceCategory, DeviceStatus, ErasureMethod, ErasureResult, Grade, Role

if TYPE_CHECKING:
    from equipbank.auth.models import User


class HolderSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class DeviceSchema(Schema):
    tag = fields.String()
    status = fields.String(metadata={"enum": DeviceStatus.codes()})
    category = fields.String(metadata={"enum": DeviceCategory.codes()})
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    functional_tests_passed = fields.Boolean()
    cpu = fields.String(allow_none=True)
    ram_gb = fields.Integer(allow_none=True)
    storage_gb = fields.Integer(allow_none=True)
    screen_inches = fields.Decimal(as_string=True, allow_none=True)
    battery_health_pct = fields.Integer(allow_none=True)
    os_installed = fields.String(allow_none=True)
    keyboard_layout = fields.String(allow_none=True)
    donation_id = fields.Integer()
    holder = fields.Nested(HolderSchema, allow_none=True)
    status_changed_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()


class EventSchema(Schema):
    at = fields.AwareDateTime()
    from_status = fields.String(data_key="from", allow_none=True)
    to_status = fields.String(data_key="to")
    reason = fields.Function(lambda event: (event.data or {}).get("reason"))
    actor_id = fields.Integer(allow_none=True)


class ErasureSchema(Schema):
    id = fields.Integer()
    method = fields.String()
    tool = fields.String()
    certificate_ref = fields.String()
    operator = fields.String()
    performed_at = fields.AwareDateTime()
    result = fields.String()


class DeviceDetailSchema(DeviceSchema):
    history = fields.List(fields.Nested(EventSchema), attribute="events")
    erasures = fields.List(fields.Nested(ErasureSchema))


def device_detail_schema(viewer: User) -> DeviceDetailSchema:
    """What each role is shown: a donor sees its device's path, not who holds it, who moved
    it or why (a reason may speak of the person it was given to)."""
    if viewer.role == Role.DONOR:
        return DeviceDetailSchema(exclude=("holder", "history.actor_id", "history.reason"))
    return DeviceDetailSchema()


def device_list_schema(viewer: User) -> DeviceSchema:
    return DeviceSchema(many=True, exclude=("holder",) if viewer.role == Role.DONOR else ())


class DeviceQuerySchema(PageArgs):
    status = fields.String(validate=validate.OneOf(DeviceStatus.codes()))
    category = fields.String(validate=validate.OneOf(DeviceCategory.codes()))
    grade = fields.String(validate=validate.OneOf(Grade.codes()))
    holder = Id(metadata={"description": "id of the holding organisation"})
    donation = Id(metadata={"description": "id of the donation"})


class IntakeSchema(BodySchema):
    category = fields.String(required=True, validate=validate.OneOf(DeviceCategory.codes()))
    brand = fields.String(allow_none=True, validate=validate.Length(max=100))
    model = fields.String(allow_none=True, validate=validate.Length(max=150))
    serial = fields.String(allow_none=True, validate=validate.Length(max=100))
    line_id = Id(allow_none=True, metadata={"description": "the declared line this unit answers"})


class ErasureCreateSchema(BodySchema):
    method = fields.String(required=True, validate=validate.OneOf(ErasureMethod.codes()))
    tool = fields.String(required=True, validate=validate.Length(min=1, max=150))
    certificate_ref = fields.String(required=True, validate=validate.Length(min=1, max=150))
    performed_at = fields.AwareDateTime(required=True)
    operator = fields.String(validate=validate.Length(max=150))
    result = fields.String(
        load_default=ErasureResult.SUCCESS.value, validate=validate.OneOf(ErasureResult.codes())
    )


class DiagnosticsCreateSchema(BodySchema):
    """The measures of a device: those of its category only (`categories.NEEDS`), 422 for
    the others; a measure left out is cleared, as on the workshop's form."""

    cpu = fields.String(allow_none=True, validate=validate.Length(max=150))
    ram_gb = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    storage_gb = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    screen_inches = fields.Decimal(
        allow_none=True, places=1, validate=validate.Range(min=1, max=99)
    )
    battery_health_pct = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100))
    os_installed = fields.String(allow_none=True, validate=validate.Length(max=100))
    keyboard_layout = fields.String(allow_none=True, validate=validate.Length(max=30))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class TransitionSchema(BodySchema):
    to = fields.String(required=True, validate=validate.OneOf(DeviceStatus.codes()))
    grade = fields.String(validate=validate.OneOf(Grade.codes()))
    functional_tests_passed = fields.Boolean()
    reason = fields.String(validate=validate.Length(max=300))
