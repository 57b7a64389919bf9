"""Commune look-ups for the forms' postal code -> commune picker (`commune-picker.js`).

Open to anyone, as the donor registration form is: the answer is the public referential
(names and INSEE codes of a postal code), nothing of the app's own. Throttled per address.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from equipbank import throttle
from equipbank.auth.permissions import public
from equipbank.geo import services

bp = Blueprint("geo", __name__, url_prefix="/geo")


@bp.route("/communes.json")
@public
@throttle.commune_lookups
def communes():
    """The communes of `?postal_code=` (five digits; anything else: none), by name."""
    found = services.communes_for_postal_code(request.args.get("postal_code", ""))
    return jsonify([{"code": c.code, "name": c.name} for c in found])
