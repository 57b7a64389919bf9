"""Following a background job: a progress page, its JSON for polling, its file result.

A job belongs to the user who started it: anyone else gets a 404, as for an unknown job.
"""

from __future__ import annotations

import re
from io import BytesIO

from flask import Blueprint, abort, jsonify, render_template, request, send_file
from flask_login import current_user

from equipbank import jobs
from equipbank.auth.permissions import logged_in
from equipbank.urls import local_path

bp = Blueprint("jobs", __name__, url_prefix="/taches")

JOB_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def owned_job(job_id: str) -> jobs.JobState:
    state = jobs.job_state(job_id) if JOB_ID.match(job_id) else None
    if state is None or state.owner_id != current_user.id:
        abort(404)
    return state


@bp.route("/<job_id>")
@logged_in
def progress(job_id: str):
    state = owned_job(job_id)
    done_url = local_path(request.args.get("next"))
    return render_template("jobs/progress.html", state=state, done_url=done_url)


@bp.route("/<job_id>.json")
@logged_in
def status(job_id: str):
    state = owned_job(job_id)
    return jsonify(
        status=state.status, progress=state.progress, message=state.message, done=state.done
    )


@bp.route("/<job_id>/fichier")
@logged_in
def result_file(job_id: str):
    """The file a finished job produced (`{"filename", "content_type", "content"}`)."""
    state = owned_job(job_id)
    if (
        state.status != "finished"
        or not isinstance(state.result, dict)
        or "content" not in state.result
    ):
        abort(404)
    return send_file_result(state.result)


def send_file_result(result: dict):
    return send_file(
        BytesIO(result["content"]),
        mimetype=result["content_type"],
        as_attachment=result.get("attachment", False),
        download_name=result["filename"],
    )
