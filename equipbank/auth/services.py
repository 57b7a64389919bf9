"""Accounts: authentication, creation, one-time password links, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from equipbank.audit import services as audit
from equipbank.auth.models import ApiToken, User
from equipbank.clock import utcnow
from equipbank.codes import ROLE_ORGANISATION_KINDS, Role
from equipbank.errors import Conflict, ValidationFailed
from equipbank.extensions import db
from equipbank.organisations.models import Organisation

MIN_PASSWORD_LENGTH = 10
# A hash to compare against when the email is unknown: same work, so timing does not tell.
_DUMMY_HASH_CACHE: dict[str, str] = {}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (whatever was wrong)."""
    user = get_user_by_email(email)
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record("user.login", user, actor=user)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
            fields={"password": [f"Au moins {MIN_PASSWORD_LENGTH} caractères."]},
        )


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    organisation: Organisation,
    is_admin: bool = False,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """A new account. Without a password, the person sets one through a one-time link."""
    email = normalise_email(email)
    check_role_fits_organisation(role, organisation)
    if is_admin and role != Role.STAFF:
        raise ValidationFailed(
            "Seule l'équipe de la Banque du Numérique peut administrer les comptes.",
            fields={"is_admin": ["Réservé au rôle « Équipe »."]},
        )
    if get_user_by_email(email) is not None:
        raise Conflict(
            f"Un compte existe déjà avec l'adresse {email}.",
            code="email_taken",
            fields={"email": ["Adresse déjà utilisée."]},
        )
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        organisation=organisation,
        is_admin=is_admin,
    )
    if password is not None:
        check_password_strength(password)
        user.password_hash = hash_password(password)
    db.session.add(user)
    audit.record(
        "user.create",
        user,
        actor=actor,
        summary={"role": role, "organisation_id": organisation.id, "is_admin": is_admin},
    )
    return user


def update_user(
    user: User, *, name: str, role: str, organisation: Organisation, is_admin: bool, actor: User
) -> User:
    check_role_fits_organisation(role, organisation)
    if is_admin and role != Role.STAFF:
        raise ValidationFailed(
            "Seule l'équipe de la Banque du Numérique peut administrer les comptes.",
            fields={"is_admin": ["Réservé au rôle « Équipe »."]},
        )
    if user.id == actor.id and not is_admin:
        raise ValidationFailed("Vous ne pouvez pas retirer vos propres droits d'administration.")
    before = {"role": user.role, "organisation_id": user.organisation_id, "is_admin": user.is_admin}
    user.name, user.role, user.organisation, user.is_admin = (
        name.strip(),
        role,
        organisation,
        is_admin,
    )
    after = {"role": role, "organisation_id": organisation.id, "is_admin": is_admin}
    audit.record("user.update", user, actor=actor, summary={"before": before, "after": after})
    return user


def set_user_active(user: User, active: bool, *, actor: User) -> User:
    if user.id == actor.id and not active:
        raise ValidationFailed("Vous ne pouvez pas désactiver votre propre compte.")
    user.active = active
    if not active:
        for token in user.api_tokens:
            token.revoked_at = token.revoked_at or utcnow()
    audit.record("user.activate" if active else "user.deactivate", user, actor=actor)
    return user


def check_role_fits_organisation(role: str, organisation: Organisation) -> None:
    try:
        kinds = ROLE_ORGANISATION_KINDS[Role(role)]
    except ValueError:
        raise ValidationFailed(
            f"Rôle inconnu : {role}.", fields={"role": ["Rôle inconnu."]}
        ) from None
    if organisation.kind not in kinds:
        allowed = ", ".join(kind.label.lower() for kind in kinds)
        raise ValidationFailed(
            f"Un compte « {Role(role).label} » doit appartenir à une organisation de type : {allowed}.",
            fields={"organisation_id": ["Organisation incompatible avec ce rôle."]},
        )


# One-time set-password links --------------------------------------------------------------
# The link signs the user id with a fingerprint of the current password hash: as soon as a
# password is set the fingerprint changes, so the link works once, and it expires anyway.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_set_password_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def issue_set_password_link(user: User, *, actor: User) -> str:
    """A one-time set-password token for `user`, handed over by an admin; audited."""
    if not user.active:
        raise ValidationFailed("Ce compte est désactivé : réactivez-le d'abord.")
    audit.record("user.issue_set_password_link", user, actor=actor)
    return make_set_password_token(user)


def user_from_set_password_token(token: str) -> User | None:
    max_age = current_app.config["SET_PASSWORD_LINK_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(data.get("fp", ""), _password_fingerprint(user)):
        return None
    return user


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    audit.record("user.set_password", user, actor=user)


# API tokens ------------------------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User) -> str:
    """A new bearer token for `user`; only its digest is kept, the token is shown once."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_MAX_AGE_DAYS"]
    db.session.add(
        ApiToken(
            user=user, token_hash=_token_digest(token), expires_at=utcnow() + timedelta(days=days)
        )
    )
    audit.record("api_token.issue", user, actor=user)
    return token


def user_from_api_token(token: str) -> User | None:
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_active:
        return None
    return row.user


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _DUMMY_HASH_CACHE[method]
