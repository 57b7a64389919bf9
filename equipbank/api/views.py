"""GET /api/v1/health: is the app, its database, its queue and its background processes working."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from equipbank.auth.permissions import public
from equipbank.health import report

blp = Blueprint("api-health", __name__, url_prefix="/health", description="État du service")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or error when a part that must run fails"})
    database = fields.String()
    queue = fields.String(metadata={"description": "ok (Redis), inline (no Redis) or error"})
    worker = fields.String(
        metadata={"description": "ok (a worker beat within a minute), missing, inline or error"}
    )
    workers = fields.Integer(
        allow_none=True, metadata={"description": "rq workers that beat within a minute"}
    )
    scheduler = fields.String(
        metadata={
            "description": "ok (the scheduler beat within a minute), missing, inline or error"
        }
    )
    scheduler_heartbeat_age_seconds = fields.Integer(allow_none=True)
    last_sweep_age_seconds = fields.Integer(
        allow_none=True,
        metadata={"description": "since the periodic sweep last succeeded; null: not known"},
    )
    queued_jobs = fields.Integer(
        allow_none=True, metadata={"description": "jobs waiting in the queue"}
    )
    failed_jobs = fields.Integer(
        allow_none=True, metadata={"description": "failed jobs Redis still keeps"}
    )
    unsent_reminders = fields.Integer(
        allow_none=True,
        metadata={"description": "reminders of the last 7 days not sent before their appointment"},
    )


@blp.route("")
@public
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A part that must run is down")
@blp.doc(security=[])
def health():
    found = report()
    return found, 200 if found.healthy else 503
