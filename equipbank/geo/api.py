"""GET /api/v1/communes: the commune referential, by name, postal code or INSEE code."""

from __future__ import annotations

from flask_smorest import Blueprint

from equipbank.api.schemas import page_of, paginate
from equipbank.auth.permissions import logged_in
from equipbank.errors import ValidationFailed
from equipbank.geo import services
from equipbank.geo.schemas import CommuneQuerySchema, CommuneSchema

blp = Blueprint(
    "api-communes", __name__, url_prefix="/communes", description="Référentiel des communes"
)


@blp.route("")
@logged_in
@blp.arguments(CommuneQuerySchema, location="query")
@blp.response(200, page_of(CommuneSchema))
def list_communes(args):
    """Les communes d'un code postal ou dont le nom commence par `q` (arrondissements exclus)."""
    if not args.get("q") and not args.get("postal_code"):
        raise ValidationFailed(
            "Indiquez q (nom, code postal ou code INSEE) ou postal_code.",
            fields={"q": ["Indiquez q ou postal_code."]},
        )
    query = services.communes_query(text=args.get("q"), postal_code=args.get("postal_code"))
    return paginate(query, args)
