"""Reports in the API: the per-commune table and the stock counts, for staff."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from equipbank.api.schemas import ErrorResponseSchema
from equipbank.auth.permissions import roles
from equipbank.codes import Role
from equipbank.reports.communes import commune_query, commune_rows, commune_totals
from equipbank.reports.exports import record_export
from equipbank.reports.schemas import (
    CommuneReportQuerySchema,
    CommuneReportSchema,
    StockReportSchema,
)
from equipbank.reports.stock import stock_report

blp = Blueprint("api-reports", __name__, url_prefix="/reports", description="Rapports")


@blp.route("/communes")
@roles(Role.STAFF)
@blp.arguments(CommuneReportQuerySchema, location="query")
@blp.response(200, CommuneReportSchema)
@blp.alt_response(
    422, schema=ErrorResponseSchema, description="reversed or out-of-range dates, unknown codes"
)
def communes(args):
    """Bénéficiaires équipés, remises et suivis réalisés par commune (ou EPCI, ou département)."""
    # An empty value means "not set", as on the pages (`?category=` is every public).
    report = commune_query(
        args.get("from_"),
        args.get("to"),
        args.get("department"),
        args.get("epci"),
        relay_id=args.get("relay"),
        category=args.get("category") or None,
        grouping=args.get("grouping") or None,
        with_zeros=args["with_zeros"],
        sort=args.get("sort") or None,
        descending=None if not args.get("order") else args["order"] == "desc",
    )
    rows = commune_rows(report)
    result = {
        "period": {"from": report.period.start, "to": report.period.end},
        "rows": rows,
        "totals": commune_totals(report, units=len(rows)),
    }
    record_export("communes", "json", actor=current_user, filters=report.filters())
    return result


@blp.route("/stock")
@roles(Role.STAFF)
@blp.response(200, StockReportSchema)
def stock():
    """Équipements par statut, catégorie et grade ; flux mensuels et délais médians sur 12 mois."""
    report = stock_report()
    record_export("stock", "json", actor=current_user, filters={})
    return report
