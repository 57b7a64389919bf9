"""The privacy notice, public and linked from every page's footer; the processing register,
for staff."""

from __future__ import annotations

from flask import Blueprint, render_template

from equipbank.auth.permissions import public, roles
from equipbank.clock import today
from equipbank.codes import Role
from equipbank.jobs.views import send_file_result
from equipbank.privacy import services
from equipbank.privacy.register import render_register

bp = Blueprint("privacy", __name__, url_prefix="/donnees-personnelles")


@bp.route("/")
@public
def policy():
    return render_template(
        "privacy/policy.html", notice=services.notice(), cnil=services.CNIL, staff=Role.STAFF
    )


@bp.route("/registre.pdf")
@roles(Role.STAFF)
def register():
    issued_on = today()
    return send_file_result(
        {
            "content": render_register(services.notice(), issued_on=issued_on),
            "content_type": "application/pdf",
            "filename": f"registre-traitements-{issued_on.isoformat()}.pdf",
            "attachment": True,
        }
    )
