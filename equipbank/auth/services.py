"""Accounts: authentication, creation, one-time password links, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from equipbank.audit import services as audit
from equipbank.auth import sessions
from equipbank.auth.models import ApiToken, User
from equipbank.clock import utcnow
from equipbank.codes import ROLE_ORGANISATION_KINDS, Role
from equipbank.errors import Conflict, NotFound, ValidationFailed
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


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """At least 10 characters, not guessable (zxcvbn's estimate: common passwords, keyboard
    runs, repetitions, dates...), and not built from the person's email or name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
            fields={"password": [f"Au moins {MIN_PASSWORD_LENGTH} caractères."]},
        )
    personal = _personal_words(email, name)
    lowered = password.lower()
    strength = zxcvbn(password[:100], user_inputs=[*personal, *FRENCH_WORDS])["score"]
    built_from_identity = any(word in lowered for word in personal if len(word) >= 4)
    if strength < 3 or (built_from_identity and strength < 4):
        raise ValidationFailed(
            "Ce mot de passe est trop facile à deviner : choisissez une phrase de plusieurs mots, "
            "sans votre nom ni votre adresse e-mail.",
            code="weak_password",
            fields={"password": ["Trop facile à deviner."]},
        )


# Words zxcvbn's English lists miss, typed by French speakers as passwords.
FRENCH_WORDS = ("azerty", "azertyuiop", "motdepasse", "soleil", "bonjour")


def _personal_words(email: str, name: str) -> list[str]:
    local, _, domain = email.lower().partition("@")
    words = re.split(r"[^a-zà-ÿ0-9]+", f"{local} {domain.split('.')[0]} {name.lower()}")
    return [word for word in words if word]


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    organisation: Organisation,
    is_admin: bool = False,
    password: str | None = None,
    actor: User | None = None,
    email_confirmed: bool = True,
) -> User:
    """A new account. Without a password, the person sets one through a one-time link. An
    account someone opens for themselves (`email_confirmed=False`) signs in once the link
    emailed to its address is followed."""
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
        email_confirmed_at=utcnow() if email_confirmed else None,
    )
    if password is not None:
        check_password_strength(password, email=email, name=name)
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
    if not active:  # a later reactivation does not revive what was open
        sessions.revoke_everything(user, actor=actor, reason="deactivated")
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
    return _user_from_link(_serializer(), token, current_app.config["SET_PASSWORD_LINK_MAX_AGE"])


def _user_from_link(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> User | None:
    """The active account a one-time link is for, while its password is the one it was
    made with and the link is younger than `max_age` seconds; None otherwise."""
    try:
        data = serializer.loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(data.get("fp", ""), _password_fingerprint(user)):
        return None
    return user


def set_password(user: User, password: str, *, action: str = "user.set_password") -> None:
    """A new password: every open session and API token of the account stops working.
    `action` names it in the journal (a link from an admin, or a reset the person asked)."""
    check_password_strength(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    # Following a link sent to the address proves it too (the admin's link is emailed).
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    sessions.revoke_everything(user, actor=user, reason="password")
    audit.record(action, user, actor=user)


# A forgotten password: a reset link asked for by email --------------------------------------
# The same one-time mechanism as the set-password link (the fingerprint of the password hash
# in the signed token: a new password, by this link or any other way, ends every link), with
# its own salt and a short life (PASSWORD_RESET_LINK_MAX_AGE), as anyone may ask for one.


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="reset-password")


def make_password_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_from_password_reset_token(token: str) -> User | None:
    return _user_from_link(
        _reset_serializer(), token, current_app.config["PASSWORD_RESET_LINK_MAX_AGE"]
    )


def request_password_reset(email: str) -> None:
    """Email a reset link to the active account with this address; nothing otherwise. The
    caller answers the same either way: the page never tells whether an address has an
    account (the job makes the token, so it never travels through the queue)."""
    from equipbank import jobs, transaction
    from equipbank.auth import tasks

    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    audit.record("user.request_password_reset", user, actor=None)
    transaction.after_commit(
        jobs.enqueue, tasks.send_password_reset, user.id, description="Mot de passe oublié"
    )


def reset_link_lifetime() -> str:
    """How long a reset link lasts, in words: "1 heure", "30 minutes"."""
    minutes = current_app.config["PASSWORD_RESET_LINK_MAX_AGE"] // 60
    if minutes % 60:
        return f"{minutes} minutes"
    return f"{minutes // 60} heure{'s' if minutes >= 120 else ''}"


def reset_password(user: User, password: str) -> None:
    """The new password chosen through a reset link: the usual rules, every session ended."""
    set_password(user, password, action="user.reset_password")


# Email confirmation of a self-registered account -----------------------------------------


def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def make_confirmation_token(user: User) -> str:
    return _confirmation_serializer().dumps({"uid": user.id, "email": user.email})


def confirm_email(token: str) -> User | None:
    """The account the link confirms (now confirmed), or None for a wrong or old link."""
    max_age = current_app.config["EMAIL_CONFIRMATION_MAX_AGE"]
    try:
        data = _confirmation_serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("email") or not user.active:
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("user.confirm_email", user, actor=user)
    return user


def resend_confirmation(email: str) -> None:
    """Another confirmation link, when an account waits for one at this address; the same
    silence otherwise (the answer never says whether the address has an account)."""
    from equipbank import jobs, transaction
    from equipbank.auth import tasks

    user = get_user_by_email(email)
    if user is not None and user.email_confirmed_at is None and user.active:
        transaction.after_commit(
            jobs.enqueue, tasks.send_email_confirmation, user.id, description="Confirmation"
        )


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
    if row is None or not row.is_valid or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_PRECISION:
        row.last_used_at = now
    return row.user


# "Last used" to the minute: a busy client does not write on every call.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def get_api_token(token_id: int, *, viewer: User) -> ApiToken:
    """A token its owner or an admin may see; NotFound otherwise."""
    row = db.session.get(ApiToken, token_id)
    if row is None or not (row.user_id == viewer.id or viewer.is_admin):
        raise NotFound("Jeton introuvable.")
    return row


def revoke_api_token(row: ApiToken, *, actor: User) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoke", row.user, actor=actor, summary={"token_id": row.id})


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _DUMMY_HASH_CACHE[method]
