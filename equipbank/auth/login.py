"""Flask-Login wiring: sessions for the HTML app, bearer tokens for the API."""

from __future__ import annotations

from flask import Request

from equipbank.auth import sessions
from equipbank.auth.models import User
from equipbank.extensions import db


def init_login_manager(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The session's user while its `LoginSession` stands (not logged out, not revoked)."""
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.is_active or sessions.current_session(user.id) is None:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_bearer(request: Request) -> User | None:
        if not request.path.startswith("/api/"):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        from equipbank.auth.services import user_from_api_token

        return user_from_api_token(token.strip())
