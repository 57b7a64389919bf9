"""The audit journal, read by the bank's admins: filters, pages, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from equipbank.audit import journal, services
from equipbank.audit.forms import JournalFilterForm
from equipbank.auth.permissions import admin_only
from equipbank.clock import today
from equipbank.web import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")
# The journal is chained at commit and refuses rewrites from the moment the app exists.
bp.record_once(lambda state: journal.init_app(state.app))


@bp.route("/")
@admin_only
def index():
    filters = JournalFilterForm(request.args)
    page = paginate(services.journal_query(filters.to_filters()))
    return render_template("audit/index.html", page=page, filters=filters)


@bp.route("/export.csv")
@admin_only
def export():
    filters = JournalFilterForm(request.args).to_filters()
    services.record_export(filters, actor=current_user)
    return Response(
        _csv(services.export_rows(filters)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="journal-{today().isoformat()}.csv"'
        },
    )


def _csv(rows: Iterable[list[str]]) -> bytes:
    """The CSV for a French Excel (as the reports'): UTF-8 with BOM, semicolons, CRLF.

    Built whole, inside the request: the rows are read in batches, the file is held once.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(services.EXPORT_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
