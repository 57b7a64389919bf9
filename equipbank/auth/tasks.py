"""Background work on accounts: the emails with a link (welcome, confirmation of a
self-registered address, a forgotten password, and the notice that an address already has an
account)."""

from __future__ import annotations

from flask import current_app

from equipbank import mail
from equipbank.auth.models import User
from equipbank.auth.services import (
    make_confirmation_token,
    make_password_reset_token,
    make_set_password_token,
    reset_link_lifetime,
)
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


def send_email_confirmation(user_id: int) -> bool:
    """The link a self-registered person follows before signing in the first time."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.email_confirmed_at is not None:
        return False
    link = external_url("auth.confirm_email", token=make_confirmation_token(user))
    hours = current_app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 3600
    mail.send(
        mail.Message(
            user.email,
            f"Confirmez votre adresse, {current_app.config['BANK_NAME']}",
            f"Bonjour {user.name},\n\nPour activer votre compte equipbank ({user.organisation.name}), "
            f"suivez ce lien, valable {hours} heures :\n\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : sans confirmation, le compte reste fermé.\n",
        )
    )
    return True


def send_registration_notice(user_id: int) -> bool:
    """Someone registered with an address that already has an account: its owner is told,
    and the page said the same as for a new address."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    mail.send(
        mail.Message(
            user.email,
            f"Inscription avec votre adresse, {current_app.config['BANK_NAME']}",
            f"Bonjour {user.name},\n\nUne inscription vient d'être tentée sur equipbank avec votre "
            "adresse, qui a déjà un compte : rien n'a été créé. Pour vous connecter : "
            f"{external_url('auth.login')}\nMot de passe oublié : "
            f"{external_url('auth.forgot_password')}\n\nSi ce n'était pas vous, ignorez ce message.\n",
        )
    )
    return True


def send_password_reset(user_id: int) -> bool:
    """The link to choose a new password, asked for on "Mot de passe oublié ?". Made here,
    in the job: the token never travels through the queue."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return False
    link = external_url("auth.reset_password", token=make_password_reset_token(user))
    lifetime = reset_link_lifetime()
    mail.send(
        mail.Message(
            user.email,
            f"Choisir un nouveau mot de passe, {current_app.config['BANK_NAME']}",
            f"Bonjour {user.name},\n\nQuelqu'un, sans doute vous, a demandé à changer le mot de passe "
            f"de votre compte equipbank ({user.organisation.name}). Choisissez-en un nouveau avec ce "
            f"lien, valable {lifetime} et une seule fois :\n\n{link}\n\n"
            "Une fois le nouveau mot de passe enregistré, toutes les sessions ouvertes sur votre "
            "compte sont fermées.\n\nSi vous n'avez rien demandé, ignorez ce message : votre mot "
            "de passe reste le même.\n",
        )
    )
    return True
