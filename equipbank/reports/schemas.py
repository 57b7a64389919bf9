"""The reports in the API (DESIGN.md §5): per-commune figures and stock counts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from equipbank.api.schemas import Id, QuerySchema
from equipbank.codes import BeneficiaryCategory, DeviceCategory, DeviceStatus, Grade, ReportGrouping
from equipbank.reports.communes import SORTS


class CommuneReportQuerySchema(QuerySchema):
    # Unchecked here beyond their format: the service says what is wrong (reversed dates,
    # unknown codes) in the same words as the pages.
    from_ = fields.Date(
        data_key="from", metadata={"description": "first day (default: 12 months ago)"}
    )
    to = fields.Date(metadata={"description": "last day, included (default: today)"})
    department = fields.String(
        validate=validate.Length(max=3), metadata={"description": "INSEE code: 06, 2A, 971"}
    )
    epci = fields.String(
        validate=validate.Length(max=9), metadata={"description": "SIREN of the EPCI"}
    )
    relay = Id(metadata={"description": "a relay organisation's id"})
    category = fields.String(metadata={"enum": BeneficiaryCategory.codes()})
    grouping = fields.String(
        metadata={"enum": ReportGrouping.codes(), "description": "default: commune"}
    )
    with_zeros = fields.Boolean(
        load_default=False,
        metadata={"description": "every commune of the EPCI or département, also at zero"},
    )
    sort = fields.String(
        metadata={"enum": list(SORTS), "description": "default: equipped_beneficiaries"}
    )
    order = fields.String(validate=validate.OneOf(("asc", "desc", "")))


class CommuneRowSchema(Schema):
    code = fields.String(
        metadata={"description": "INSEE code (or EPCI SIREN, or département code)"}
    )
    name = fields.String()
    epci_name = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)
    population = fields.Integer(allow_none=True)
    equipped_beneficiaries = fields.Integer()
    handovers = fields.Integer()
    followups_done = fields.Integer()
    followup_rate = fields.Float(
        allow_none=True, metadata={"description": "followups_done / handovers (0..1)"}
    )
    per_thousand = fields.Float(
        allow_none=True, metadata={"description": "equipped per 1,000 inhabitants"}
    )


class CommuneTotalsSchema(Schema):
    rows = fields.Integer(attribute="units")
    population = fields.Integer(
        metadata={"description": "of the EPCI or département asked for, else France"}
    )
    equipped_beneficiaries = fields.Integer(
        metadata={"description": "distinct over the whole selection"}
    )
    handovers = fields.Integer()
    followups_done = fields.Integer()
    followup_rate = fields.Float(allow_none=True)
    per_thousand = fields.Float(allow_none=True)


class CommuneReportSchema(Schema):
    period = fields.Dict(keys=fields.String(), values=fields.Date())
    rows = fields.List(fields.Nested(CommuneRowSchema))
    totals = fields.Nested(CommuneTotalsSchema)


class StockCountSchema(Schema):
    status = fields.String(metadata={"enum": DeviceStatus.codes()})
    category = fields.String(metadata={"enum": DeviceCategory.codes()})
    grade = fields.String(allow_none=True, metadata={"enum": Grade.codes()})
    count = fields.Integer()


class MonthFlowSchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM"})
    received = fields.Integer()
    ready = fields.Integer()
    handed_over = fields.Integer()
    recycled = fields.Integer(metadata={"description": "recycled or dismantled for parts"})


class LeadTimeSchema(Schema):
    devices = fields.Integer()
    median_days = fields.Float(allow_none=True)
    average_days = fields.Float(allow_none=True)


class StockReportSchema(Schema):
    rows = fields.List(fields.Nested(StockCountSchema), attribute="counts")
    total = fields.Function(lambda report: sum(count.count for count in report.counts))
    monthly_flows = fields.List(fields.Nested(MonthFlowSchema), attribute="flows")
    intake_to_ready = fields.Nested(LeadTimeSchema)
    ready_to_handover = fields.Nested(LeadTimeSchema)
