"""Report pages and their exports: per commune, stock, roadmap indicators, donor impact."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from equipbank.auth.permissions import roles
from equipbank.clock import today
from equipbank.codes import DeviceCategory, DeviceStatus, OrganisationKind, ReportGrouping, Role
from equipbank.donations.services import bank_identity
from equipbank.errors import NotFound, ValidationFailed
from equipbank.forms import show_domain_error
from equipbank.jobs.views import send_file_result
from equipbank.organisations.services import get_organisation
from equipbank.reports import charts, exports
from equipbank.reports.communes import commune_query, commune_rows, commune_totals, open_data_rows
from equipbank.reports.donors import donor_impact
from equipbank.reports.forms import CommuneReportForm, ImpactForm, ReportForm
from equipbank.reports.impact import render_impact_report
from equipbank.reports.indicators import indicators as roadmap_indicators
from equipbank.reports.period import EARLIEST, Period, one_year_to, report_scope
from equipbank.reports.stock import AGE_BUCKETS, FLOWS, stock_counts, stock_matrix, stock_report
from equipbank.web import ListPage

bp = Blueprint("reports", __name__, url_prefix="/rapports")

PER_PAGE = 100
CHART_BARS = 20
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Unit:
    """What the per-commune table's rows are, in the words of each place they are shown."""

    column: str  # the table's first header
    singular: str  # "par commune"
    plural: str  # "(4 communes)"
    code_header: str
    slug: str  # in file names


UNITS = {
    ReportGrouping.COMMUNE: Unit("Commune", "commune", "communes", "Code INSEE", "commune"),
    ReportGrouping.EPCI: Unit(
        "Intercommunalité", "intercommunalité", "intercommunalités", "Code EPCI (SIREN)", "epci"
    ),
    ReportGrouping.DEPARTMENT: Unit(
        "Département", "département", "départements", "Code département", "departement"
    ),
}


def _checked(form, build):
    """`build()` once the form is valid, or None with the errors on the form's fields."""
    if not form.validate():
        return None
    try:
        return build()
    except ValidationFailed as error:
        show_domain_error(form, error)
        return None


def _show_period(form, period: Period) -> None:
    """The dates the report covers, in the form, also when they were left to their default."""
    form.start.data, form.end.data = period.start, period.end


def _page(template: str, endpoint: str, status: int = 200, **context):
    """A report's page, also when shown for an export URL in error: its form and its quick
    periods lead back to the page itself (`endpoint`)."""
    return render_template(
        template, presets=period_presets(), page_endpoint=endpoint, **context
    ), status


def _commune_request():
    """The per-commune form from the URL, and the checked report (None when in error)."""
    form = CommuneReportForm(request.args)
    return form, _checked(form, lambda: commune_query(**form.scope(), **form.options()))


def period_presets() -> list[tuple[str, date | None, date]]:
    """Quick choices above a report's form."""
    now = today()
    return [
        ("12 derniers mois", one_year_to(now), now),
        (f"Année {now.year}", date(now.year, 1, 1), now),
        (f"Année {now.year - 1}", date(now.year - 1, 1, 1), date(now.year - 1, 12, 31)),
        ("Depuis le début", EARLIEST, now),
    ]


# Per commune ---------------------------------------------------------------------------------


@bp.route("/communes")
@roles(Role.STAFF)
def communes():
    form, report = _commune_request()
    if report is None:
        return _page("reports/communes.html", "reports.communes", 422, form=form, report=None)
    _show_period(form, report.period)
    rows = commune_rows(report)
    totals = commune_totals(report, units=len(rows))
    most_first = report.sort == "equipped_beneficiaries" and report.descending
    top = (
        rows[:CHART_BARS]
        if most_first
        else commune_rows(
            replace(report, sort="equipped_beneficiaries", descending=True), limit=CHART_BARS
        )
    )
    unit = UNITS[report.grouping]
    chart = charts.bar_chart_svg(
        [
            charts.Bar(row.name, row.equipped_beneficiaries)
            for row in top
            if row.equipped_beneficiaries
        ],
        title=f"Bénéficiaires équipés par {unit.singular}",
        value_label="Bénéficiaires équipés",
        max_bars=CHART_BARS,
    )
    return _page(
        "reports/communes.html",
        "reports.communes",
        form=form,
        report=report,
        page=ListPage(rows, PER_PAGE),
        unit=unit,
        totals=totals,
        chart=chart,
        territory_name=report.territory.name(),
        relay_name=get_organisation(report.relay_id).name if report.relay_id else None,
    )


@bp.route("/communes.<any(csv, xlsx):file_format>")
@roles(Role.STAFF)
def communes_export(file_format: str):
    return _commune_export(file_format, open_data=False)


@bp.route("/communes-donnees-ouvertes.<any(csv, xlsx):file_format>")
@roles(Role.STAFF)
def communes_open_data(file_format: str):
    return _commune_export(file_format, open_data=True)


def _commune_export(file_format: str, *, open_data: bool):
    form, report = _commune_request()
    if report is None:  # an edited URL: the report's page says what is wrong
        return _page("reports/communes.html", "reports.communes", 422, form=form, report=None)
    name = f"beneficiaires-equipes-par-{UNITS[report.grouping].slug}"
    if open_data:
        # In code order, whatever the page's sort: an order by the true counts would tell
        # which masked cell is larger.
        report = replace(report, sort="code", descending=False)
        name += "-donnees-ouvertes"
    rows = [asdict(row) for row in commune_rows(report)]
    if open_data:
        rows = open_data_rows(rows, current_app.config["REPORT_MASK_THRESHOLD"])
    filename = f"{name}-{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}.{file_format}"
    exports.record_export(
        "open_data" if open_data else "communes",
        file_format,
        actor=current_user,
        filters=report.filters(),
    )
    return _file(
        file_format,
        commune_columns(report.grouping),
        rows,
        filename,
        sheet_title="Bénéficiaires équipés",
    )


def commune_columns(grouping: ReportGrouping) -> list[exports.Column]:
    unit = UNITS[grouping]
    columns = [exports.Column("code", unit.code_header), exports.Column("name", unit.column)]
    if grouping == ReportGrouping.COMMUNE:
        columns.append(exports.Column("epci_name", "Intercommunalité"))
    if grouping != ReportGrouping.DEPARTMENT:
        columns.append(exports.Column("department_code", "Département"))
    return [
        *columns,
        exports.Column("population", "Population", "int"),
        exports.Column("equipped_beneficiaries", "Bénéficiaires équipés", "int"),
        exports.Column("handovers", "Remises", "int"),
        exports.Column("followups_done", "Suivis réalisés", "int"),
        exports.Column("followup_rate", "Taux de suivi", "percent"),
        exports.Column("per_thousand", "Équipés pour 1 000 habitants", "decimal"),
    ]


def _file(file_format: str, columns, rows, filename: str, *, sheet_title: str):
    content = (
        exports.csv_bytes(columns, rows)
        if file_format == "csv"
        else exports.xlsx_bytes(columns, rows, sheet_title=sheet_title)
    )
    return send_file_result(
        {
            "content": content,
            "content_type": CONTENT_TYPES[file_format],
            "filename": filename,
            "attachment": True,
        }
    )


# Stock ---------------------------------------------------------------------------------------


@bp.route("/stock")
@roles(Role.STAFF)
def stock():
    report = stock_report()
    chart = charts.grouped_bars_svg(
        [_month_label(flow.month) for flow in report.flows],
        [
            charts.Series(label, [getattr(flow, key) for flow in report.flows])
            for key, label in FLOWS.items()
        ],
        title="Flux mensuels d'équipements",
    )
    return render_template(
        "reports/stock.html",
        report=report,
        chart=chart,
        matrix=stock_matrix(report.counts),
        flows=FLOWS,
        age_buckets=AGE_BUCKETS,
        month_label=_month_label,
    )


@bp.route("/stock.<any(csv, xlsx):file_format>")
@roles(Role.STAFF)
def stock_export(file_format: str):
    columns = [
        exports.Column("status", "Statut"),
        exports.Column("category", "Catégorie"),
        exports.Column("grade", "Grade"),
        exports.Column("count", "Équipements", "int"),
    ]
    rows = [
        {
            "status": DeviceStatus(count.status).label,
            "category": DeviceCategory(count.category).label,
            "grade": count.grade or "",
            "count": count.count,
        }
        for count in stock_counts()
    ]
    exports.record_export("stock", file_format, actor=current_user, filters={})
    return _file(
        file_format, columns, rows, f"stock-{today():%Y%m%d}.{file_format}", sheet_title="Stock"
    )


MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


# Roadmap indicators --------------------------------------------------------------------------


@bp.route("/indicateurs")
@roles(Role.STAFF)
def indicators():
    form = ReportForm(request.args)
    scope = _checked(form, lambda: report_scope(**form.scope()))
    if scope is None:
        return _page("reports/indicators.html", "reports.indicators", 422, form=form, figures=None)
    period, territory = scope
    _show_period(form, period)
    return _page(
        "reports/indicators.html",
        "reports.indicators",
        form=form,
        figures=roadmap_indicators(period, territory),
        period=period,
        territory_name=territory.name(),
    )


# Donor impact --------------------------------------------------------------------------------


@bp.route("/impact")
@roles(Role.STAFF, Role.DONOR)
def impact():
    form, donor, period = _impact_request()
    if period is None:
        return _page(
            "reports/impact.html", "reports.impact", 422, form=form, donor=donor, figures=None
        )
    _show_period(form, period)
    figures = donor_impact(donor, period) if donor is not None else None
    return _page(
        "reports/impact.html",
        "reports.impact",
        form=form,
        donor=donor,
        figures=figures,
        period=period,
    )


@bp.route("/impact.pdf")
@roles(Role.STAFF, Role.DONOR)
def impact_pdf():
    form, donor, period = _impact_request()
    if donor is None and not form.donor.errors:
        form.donor.errors.append("Choisissez un donateur.")
    if period is None or donor is None:
        return _page(
            "reports/impact.html", "reports.impact", 422, form=form, donor=donor, figures=None
        )
    content = render_impact_report(
        bank=bank_identity(),
        donor_name=donor.name,
        period_label=period.label,
        figures=donor_impact(donor, period),
        issued_on=today(),
    )
    exports.record_export(
        "impact",
        "pdf",
        actor=current_user,
        filters={"donor": str(donor.id), "from": str(period.start), "to": str(period.end)},
    )
    filename = f"rapport-impact-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"
    return send_file_result(
        {
            "content": content,
            "content_type": CONTENT_TYPES["pdf"],
            "filename": filename,
            "attachment": True,
        }
    )


def _impact_request():
    """The impact form, the donor it is about (a donor's own organisation, whatever the URL
    says) and the period; the period is None when the form is in error."""
    form = ImpactForm(request.args)
    period = _checked(form, lambda: Period.of(form.start.data, form.end.data))
    if current_user.role == Role.DONOR:
        donor = current_user.organisation
    elif form.donor.data is not None:
        donor = get_organisation(form.donor.data)
        if donor.kind != OrganisationKind.DONOR:
            raise NotFound("Donateur introuvable.")
    else:
        donor = None
    return form, donor, period
