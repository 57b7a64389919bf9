from marshmallow import Schema, fields, validate

from equipbank.api.schemas import BodySchema, PageArgs
from equipbank.codes import (
    AgeBand,
    BeneficiaryCategory,
    EligibilityBasis,
    ErasureReason,
    ReferrerKind,
)

INSEE = validate.Regexp(r"^(\d{2}|2A|2B)\d{3}$", error="Code INSEE de 5 caractères.")


class BeneficiaryCreateSchema(BodySchema):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_year = fields.Integer(required=True)
    commune = fields.String(required=True, validate=INSEE, metadata={"description": "INSEE code"})
    category = fields.String(required=True, validate=validate.OneOf(BeneficiaryCategory.codes()))
    consent = fields.Boolean(
        required=True, metadata={"description": "must be true: the person agreed"}
    )
    referrer_kind = fields.String(validate=validate.OneOf(ReferrerKind.codes()))
    eligibility_basis = fields.String(validate=validate.OneOf(EligibilityBasis.codes()))
    eligibility_verified_by = fields.String(validate=validate.Length(max=150))
    eligibility_verified_on = fields.Date()
    phone = fields.String(validate=validate.Length(max=30))
    email = fields.String(validate=validate.Length(max=254))
    email_reminders = fields.Boolean(load_default=False)
    confirm_distinct = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: register even though a possible duplicate was reported (409)"
        },
    )


class AppointmentSummarySchema(Schema):
    id = fields.Integer()
    starts_at = fields.AwareDateTime()
    status = fields.String()
    advisor_id = fields.Integer()


class HandoverSummarySchema(Schema):
    id = fields.Integer()
    device = fields.Function(lambda handover: handover.device.tag)
    handed_at = fields.AwareDateTime()
    commune = fields.String(attribute="commune_code")
    returned_at = fields.AwareDateTime(allow_none=True)
    receipt_ref = fields.String()


class BeneficiarySchema(Schema):
    id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    age_band = fields.String(allow_none=True, metadata={"enum": AgeBand.codes()})
    commune = fields.String(attribute="commune_code")
    category = fields.String()
    referrer_kind = fields.String(allow_none=True)
    eligibility_basis = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    email_reminders = fields.Boolean()
    consent_at = fields.AwareDateTime()
    relay_id = fields.Integer()
    anonymised_at = fields.AwareDateTime(allow_none=True)


class BeneficiaryDetailSchema(BeneficiarySchema):
    handovers = fields.List(fields.Nested(HandoverSummarySchema))
    appointments = fields.List(fields.Nested(AppointmentSummarySchema))


class BeneficiaryQuerySchema(PageArgs):
    q = fields.String(validate=validate.Length(max=100))


class BeneficiaryListSchema(BeneficiarySchema):
    """A list shows no contacts: the file (detail) does, where the relay needs them."""

    class Meta:
        exclude = ("phone", "email")


# Right of access (DESIGN.md §7): everything held about the person, and who saw or changed it.


class NamedSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CommuneRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class ExportedPersonSchema(Schema):
    id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    age_band = fields.String(allow_none=True)
    commune = fields.Nested(CommuneRefSchema)
    category = fields.String()
    referrer_kind = fields.String(allow_none=True)
    eligibility_basis = fields.String(allow_none=True)
    eligibility_verified_by = fields.String(allow_none=True)
    eligibility_verified_on = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    email_reminders = fields.Boolean()
    consent_at = fields.AwareDateTime()
    relay = fields.Nested(NamedSchema(only=("id", "name")))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    anonymised_at = fields.AwareDateTime(allow_none=True)


class ExportedHandoverSchema(Schema):
    id = fields.Integer()
    handed_at = fields.AwareDateTime()
    device = fields.Function(lambda handover: handover.device.tag)
    device_category = fields.Function(lambda handover: handover.device.category)
    device_brand = fields.Function(lambda handover: handover.device.brand)
    device_model = fields.Function(lambda handover: handover.device.model)
    commune = fields.String(attribute="commune_code")
    accessories = fields.String(allow_none=True)
    charter_accepted = fields.Boolean()
    receipt_ref = fields.String()
    returned_at = fields.AwareDateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)


class ExportedAppointmentSchema(Schema):
    id = fields.Integer()
    handover_id = fields.Integer(allow_none=True)
    starts_at = fields.AwareDateTime()
    duration_minutes = fields.Integer()
    location_type = fields.String()
    place = fields.String(allow_none=True)
    status = fields.String()
    advisor = fields.Function(lambda appointment: appointment.advisor.name)
    held_at = fields.AwareDateTime(allow_none=True)
    outcome_duration_minutes = fields.Integer(allow_none=True)
    topics = fields.List(fields.String())
    autonomy = fields.String(allow_none=True)
    confidence = fields.Integer(allow_none=True)
    next_step = fields.String(allow_none=True)


class AccessSchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    actor_name = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)


class BeneficiaryExportSchema(Schema):
    exported_at = fields.AwareDateTime()
    beneficiary = fields.Nested(ExportedPersonSchema)
    handovers = fields.List(fields.Nested(ExportedHandoverSchema))
    appointments = fields.List(fields.Nested(ExportedAppointmentSchema))
    accesses = fields.List(fields.Nested(AccessSchema))


class AnonymiseSchema(BodySchema):
    reason = fields.String(required=True, validate=validate.OneOf(ErasureReason.codes()))
