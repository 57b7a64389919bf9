"""API tokens: exchange an email and password (HTTP Basic, plus the two-factor code when the
account has one) for a bearer token; list one's tokens; revoke one."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from equipbank import throttle
from equipbank.auth import services, twofactor
from equipbank.auth.permissions import logged_in, public
from equipbank.errors import AuthenticationFailed

blp = Blueprint("api-tokens", __name__, url_prefix="/tokens", description="Jetons d'accès à l'API")

OTP_HEADER = "X-TOTP-Code"


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send it as `Authorization: Bearer <token>`"})
    expires_in_days = fields.Integer()
    role = fields.String()


class TokenInfoSchema(Schema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    valid = fields.Boolean(attribute="is_valid")


@blp.route("", methods=["POST"])
@public
@throttle.token_requests
@blp.response(201, TokenSchema)
@blp.doc(security=[{"basicAuth": []}])
def issue_token():
    """Un jeton pour le compte dont l'e-mail et le mot de passe sont donnés en HTTP Basic ; avec
    la double authentification, le code de l'application dans l'en-tête `X-TOTP-Code`.

    Whatever is wrong (unknown email, wrong password, inactive account), the answer is the
    same 401: it never tells whether an email has an account. A right password without the
    second factor the account needs answers 401 with the code `otp_required`.
    """
    credentials = request.authorization
    user = None
    if credentials is not None and credentials.type == "basic":
        user = services.authenticate(credentials.username or "", credentials.password or "")
    if user is None or user.email_confirmed_at is None:
        raise AuthenticationFailed("Adresse e-mail ou mot de passe incorrect.")
    if user.uses_totp or twofactor.required_for(user):
        code = request.headers.get(OTP_HEADER, "")
        if not user.uses_totp or not twofactor.verify(user, code):
            raise AuthenticationFailed(
                "Ce compte se connecte avec un second facteur : envoyez le code de l'application "
                f"d'authentification dans l'en-tête {OTP_HEADER} (activez-la d'abord dans "
                "l'application web si ce n'est fait).",
                code="otp_required",
            )
    token = services.issue_api_token(user)
    return {
        "token": token,
        "expires_in_days": current_app.config["API_TOKEN_MAX_AGE_DAYS"],
        "role": user.role,
    }


@blp.route("", methods=["GET"])
@logged_in
@blp.response(200, TokenInfoSchema(many=True))
def list_tokens():
    """Ses jetons : créés, dernier usage, expiration, révocation (jamais le jeton lui-même)."""
    return current_user.api_tokens


@blp.route("/<int:token_id>", methods=["DELETE"])
@logged_in
@blp.response(204)
def revoke_token(token_id: int):
    """Révoquer l'un de ses jetons (tout jeton pour un administrateur) : il ne sert plus."""
    services.revoke_api_token(
        services.get_api_token(token_id, viewer=current_user), actor=current_user
    )
