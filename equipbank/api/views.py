"""GET /api/v1/health: is the app, its database and its queue working."""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from equipbank import jobs, transaction
from equipbank.auth.permissions import public
from equipbank.extensions import db

blp = Blueprint("api-health", __name__, url_prefix="/health", description="État du service")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or error when a component fails"})
    database = fields.String()
    queue = fields.String(metadata={"description": "ok (Redis), inline (no Redis) or error"})


@blp.route("")
@public
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A component is down")
@blp.doc(security=[])
def health():
    database = _check(lambda: db.session.execute(sa.text("SELECT 1")))
    queue = _check(lambda: jobs.redis_connection().ping()) if jobs.uses_redis() else "inline"
    healthy = database == "ok" and queue in ("ok", "inline")
    body = {"status": "ok" if healthy else "error", "database": database, "queue": queue}
    return body, 200 if healthy else 503


def _check(probe) -> str:
    try:
        probe()
    except Exception:  # noqa: BLE001  any failure of a component is reported, not raised
        transaction.rollback()
        return "error"
    return "ok"
