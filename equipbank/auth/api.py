"""POST /api/v1/tokens: exchange an email and password (HTTP Basic) for a bearer token."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from equipbank.auth import services
from equipbank.auth.permissions import public
from equipbank.errors import AuthenticationFailed

blp = Blueprint("api-tokens", __name__, url_prefix="/tokens", description="Jetons d'accès à l'API")


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send it as `Authorization: Bearer <token>`"})
    expires_in_days = fields.Integer()
    role = fields.String()


@blp.route("", methods=["POST"])
@public
@blp.response(201, TokenSchema)
@blp.doc(security=[{"basicAuth": []}])
def issue_token():
    """Un jeton pour le compte dont l'e-mail et le mot de passe sont donnés en HTTP Basic.

    Whatever is wrong (unknown email, wrong password, inactive account), the answer is the
    same 401: it never tells whether an email has an account.
    """
    credentials = request.authorization
    user = None
    if credentials is not None and credentials.type == "basic":
        user = services.authenticate(credentials.username or "", credentials.password or "")
    if user is None:
        raise AuthenticationFailed("Adresse e-mail ou mot de passe incorrect.")
    token = services.issue_api_token(user)
    return {
        "token": token,
        "expires_in_days": current_app.config["API_TOKEN_MAX_AGE_DAYS"],
        "role": user.role,
    }
