from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from equipbank.api.schemas import BodySchema, ErrorDetailSchema, Id, PageArgs, QuerySchema
from equipbank.codes import DeviceCategory, DonationStatus
from equipbank.donations.services import MAX_TYPED_QUANTITY


class LineSchema(BodySchema):
    id = fields.Integer(dump_only=True)
    category = fields.String(required=True, validate=validate.OneOf(DeviceCategory.codes()))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_TYPED_QUANTITY))
    brand = fields.String(allow_none=True, validate=validate.Length(max=100))
    model = fields.String(allow_none=True, validate=validate.Length(max=150))
    serials = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), load_default=list
    )


class DonationCreateSchema(BodySchema):
    donor_id = Id(metadata={"description": "staff only: the donor organisation"})
    lines = fields.List(
        fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    pickup_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    pickup_commune = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^(\d{2}|2A|2B)\d{3}$", error="Code INSEE de 5 caractères."),
    )
    preferred_pickup_on = fields.Date(allow_none=True)
    erasure_certificate_requested = fields.Boolean(load_default=False)
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class DonationSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    status = fields.String(metadata={"enum": DonationStatus.codes()})
    donor_id = fields.Integer()
    donor_name = fields.String(attribute="donor.name")
    declared_on = fields.Date()
    pickup_address = fields.String(allow_none=True)
    pickup_commune = fields.String(attribute="pickup_commune_code", allow_none=True)
    preferred_pickup_on = fields.Date(allow_none=True)
    pickup_planned_on = fields.Date(allow_none=True)
    received_on = fields.Date(allow_none=True)
    erasure_certificate_requested = fields.Boolean()
    lines = fields.List(fields.Nested(LineSchema))
    declared_quantity = fields.Integer()
    received_devices = fields.Function(lambda donation: len(donation.devices))


class DonationQuerySchema(PageArgs):
    status = fields.String(validate=validate.OneOf(DonationStatus.codes()))


class ImportQuerySchema(QuerySchema):
    dry_run = fields.Boolean(
        load_default=True, metadata={"description": "true: check only, nothing saved"}
    )


class ImportFormSchema(QuerySchema):
    """The multipart body: the file, and the fields that may come with it."""

    file = Upload(
        load_only=True,
        metadata={
            "description": "the inventory: CSV (comma or semicolon; UTF-8 or Windows-1252) or XLSX"
        },
    )
    donor_id = Id(metadata={"description": "staff only: the donor organisation"})
    default_category = fields.String(
        validate=validate.OneOf(DeviceCategory.codes()),
        metadata={
            "description": "category of the rows without one (or of every row, without a category column)"
        },
    )
    pickup_address = fields.String(validate=validate.Length(max=300))
    pickup_commune = fields.String(
        validate=validate.Regexp(r"^(\d{2}|2A|2B)\d{3}$", error="Code INSEE de 5 caractères.")
    )
    preferred_pickup_on = fields.Date()
    erasure_certificate_requested = fields.Boolean(load_default=False)
    notes = fields.String(validate=validate.Length(max=2000))


class RowIssueSchema(Schema):
    row = fields.Integer()
    field = fields.String()
    message = fields.String()


class ImportLineSchema(Schema):
    category = fields.String()
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    quantity = fields.Integer()
    serials = fields.List(fields.String())


class ImportReportSchema(Schema):
    error = fields.Nested(
        ErrorDetailSchema, metadata={"description": "with dry_run=false and any error (422)"}
    )
    rows = fields.Integer(metadata={"description": "data rows read (empty lines skipped)"})
    valid = fields.Integer()
    errors = fields.List(fields.Nested(RowIssueSchema))
    warnings = fields.List(fields.Nested(RowIssueSchema))
    mapping = fields.Dict(metadata={"description": "field -> column header used"})
    lines = fields.List(fields.Nested(ImportLineSchema))
    donation = fields.Nested(DonationSchema, allow_none=True)
