"""Signed-in browsers, each revocable: the cookie holds a random key, the database its hash.

`sign_in` is the only way into a session. A request's user is loaded only while its
`LoginSession` row stands: logging out revokes that row; a new password, a deactivation or
"log out everywhere" revokes all of them, and the account's API tokens too. A cookie copied
before any of these is worth nothing after.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import session
from flask_login import login_user, logout_user

from equipbank.audit import services as audit
from equipbank.auth.models import ApiToken, LoginSession, User
from equipbank.clock import utcnow
from equipbank.extensions import db

_SESSION_KEY = "login_key"
# Between the password and the second factor: who, until when, and where to go next.
PENDING_SIGN_IN = "pending_sign_in"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign_in(user: User) -> None:
    """Open a session for `user` in this browser (its password, and its code, checked)."""
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user=user, key_hash=_digest(key)))
    session.clear()  # nothing from before the login survives it (session fixation)
    login_user(user)
    session[_SESSION_KEY] = key
    user.last_login_at = utcnow()
    audit.record("user.login", user, actor=user)


def current_session(user_id: int) -> LoginSession | None:
    """This browser's session row, if it is the user's and still stands."""
    key = session.get(_SESSION_KEY)
    if not isinstance(key, str):
        return None
    return db.session.scalar(
        sa.select(LoginSession).where(
            LoginSession.key_hash == _digest(key),
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
        )
    )


def sign_out(user: User) -> None:
    """Close this browser's session: its cookie, and any copy of it, stop working."""
    row = current_session(user.id)
    if row is not None:
        row.revoked_at = utcnow()
    sign_out_browser()
    audit.record("user.logout", user, actor=user)


def sign_out_browser() -> None:
    """Forget whoever this browser was signed in as (its session row, if any, stays as it is)."""
    logout_user()
    session.pop(_SESSION_KEY, None)


def revoke_everything(user: User, *, actor: User | None, reason: str) -> None:
    """Every session and every API token of `user` stops working now."""
    now = utcnow()
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record("user.revoke_sessions", user, actor=actor, summary={"reason": reason})


def active_sessions(user: User) -> list[LoginSession]:
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
            .order_by(LoginSession.id.desc())
        )
    )
