"""The public JSON API v1 (DESIGN.md §5): flask-smorest blueprints under /api/v1.

Each feature module keeps its endpoints in `<module>/api.py` (a flask-smorest Blueprint) and its
marshmallow schemas in `<module>/schemas.py`; this package binds them into one OpenAPI document.
Errors are rendered by `equipbank.errors` in the contract's shape, not by flask-smorest.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from equipbank.api.schemas import ErrorResponseSchema, use_french_messages

API_PREFIX = "/api/v1"


class ContractApi(Api):
    """flask-smorest without its own error handler: `errors.py` answers every error, and the
    documented error responses have the contract's shape."""

    ERROR_SCHEMA = ErrorResponseSchema

    def _register_error_handlers(self) -> None:
        return None


def blueprints():
    from equipbank.api.views import blp as health_blp
    from equipbank.appointments.api import blp as appointments_blp
    from equipbank.auth.api import blp as tokens_blp
    from equipbank.beneficiaries.api import blp as beneficiaries_blp
    from equipbank.devices.api import blp as devices_blp
    from equipbank.donations.api import blp as donations_blp
    from equipbank.geo.api import blp as communes_blp
    from equipbank.handovers.api import advisors as advisors_blp
    from equipbank.handovers.api import blp as handovers_blp
    from equipbank.reports.api import blp as reports_blp
    from equipbank.requests.api import blp as requests_blp
    from equipbank.requests.api import receipts as receipts_blp

    return [
        health_blp,
        tokens_blp,
        communes_blp,
        donations_blp,
        devices_blp,
        requests_blp,
        receipts_blp,
        beneficiaries_blp,
        handovers_blp,
        advisors_blp,
        appointments_blp,
        reports_blp,
    ]


def init_api(app: Flask) -> None:
    from equipbank.auth.permissions import declare_public
    from equipbank.extensions import csrf

    use_french_messages()
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "API publique d'equipbank : dons, équipements, demandes, "
                "bénéficiaires, remises, rendez-vous de suivi et rapports. Authentification : "
                "POST /api/v1/tokens en HTTP Basic, puis `Authorization: Bearer <jeton>`."
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "basicAuth": {"type": "http", "scheme": "basic"},
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api = ContractApi(app)
    for blueprint in blueprints():
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + blueprint.url_prefix)
        csrf.exempt(blueprint)  # bearer tokens only: no cookie session is opened under /api/
    declare_public(app, "api-docs.openapi_json")
    app.extensions["equipbank_api"] = api
