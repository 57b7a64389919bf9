"""Background work on accounts: the welcome email with a link to choose a password."""

from __future__ import annotations

from flask import current_app

from equipbank import mail
from equipbank.auth.models import User
from equipbank.auth.services import make_set_password_token
from equipbank.extensions import db
from equipbank.urls import external_url


def send_welcome(user_id: int) -> bool:
    """Email the new account its one-time link (the admin also saw one on screen). The token
    is made here, in the job, so it never travels through the queue."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.password_hash is not None:
        return False
    link = external_url("auth.set_password", token=make_set_password_token(user))
    days = current_app.config["SET_PASSWORD_LINK_MAX_AGE"] // 86400
    mail.send(
        mail.Message(
            user.email,
            f"Votre accès à equipbank, {current_app.config['BANK_NAME']}",
            f"Bonjour {user.name},\n\nUn compte equipbank vient d'être créé pour vous ({user.organisation.name}). "
            f"Choisissez votre mot de passe avec ce lien, valable {days} jours et une seule fois :\n\n{link}\n\n"
            "Si vous n'attendiez pas ce message, ignorez-le.\n",
        )
    )
    return True
