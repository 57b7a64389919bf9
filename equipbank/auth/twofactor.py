"""Two-factor sign-in: a TOTP code from an authenticator app (RFC 6238), or a single-use
recovery code when the phone is lost.

Required for the roles in `TOTP_REQUIRED_ROLES` (the bank's staff in production), optional
for everyone else. A code is accepted once: the time step of the last accepted code is kept.
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import current_app

from equipbank.audit import services as audit
from equipbank.auth.models import RecoveryCode, User
from equipbank.clock import utcnow
from equipbank.errors import ValidationFailed
from equipbank.extensions import db

RECOVERY_CODES = 10
ISSUER = "equipbank"


def required_for(user: User) -> bool:
    return user.role in current_app.config["TOTP_REQUIRED_ROLES"]


def start_enrolment(user: User) -> str:
    """A new secret for `user`'s authenticator app; it counts once a first code matches."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    assert user.totp_secret is not None  # set by start_enrolment before the page shows it
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """The QR code of `text` as SVG markup, drawn in the page (no script, no data URL)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(user: User, code: str) -> int | None:
    """The time step `code` belongs to (now, or one step either side for a slow clock)."""
    if user.totp_secret is None or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    for offset in (0, -1, 1):
        step = totp.timecode(now) + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(user: User, code: str) -> list[str]:
    """Check the first code from the app; on success the second factor is on, and the
    recovery codes (shown once) are returned."""
    step = _matching_step(user, _normalised(code))
    if step is None:
        raise ValidationFailed(
            "Ce code ne correspond pas : vérifiez l'heure du téléphone et saisissez le code affiché.",
            fields={"code": ["Code incorrect."]},
        )
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(user)
    audit.record("user.totp_enable", user, actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(_normalised(c))) for c in codes
    )
    return codes


def verify(user: User, code: str) -> bool:
    """A TOTP code not used before, or an unused recovery code (used up by this call)."""
    code = _normalised(code)
    step = _matching_step(user, code)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        return True
    recovery = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    audit.record("user.recovery_code_used", user, actor=user)
    return True


def reset(user: User, *, actor: User) -> None:
    """An admin turns the second factor off (a lost phone and lost codes): the person
    enrols again at the next sign-in when it is required."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("user.totp_reset", user, actor=actor)
