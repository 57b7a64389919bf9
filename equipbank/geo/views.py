"""Commune look-ups for the forms' postal code -> commune picker (session-authenticated)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from equipbank.auth.permissions import logged_in
from equipbank.geo import services

bp = Blueprint("geo", __name__, url_prefix="/geo")


@bp.route("/communes.json")
@logged_in
def communes():
    postal_code = request.args.get("postal_code", "")
    found = services.communes_for_postal_code(postal_code)
    return jsonify([{"code": c.code, "name": c.name} for c in found])
