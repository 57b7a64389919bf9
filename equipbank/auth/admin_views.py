"""Admin pages of the user accounts (staff with `is_admin`).

A new account has no password: the admin receives a one-time link to hand over, and the
person chooses a password through it. The link is shown once and never stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from equipbank import jobs, transaction
from equipbank.auth import services, sessions, tasks, twofactor
from equipbank.auth.forms import UserEditForm, UserFilters, UserForm
from equipbank.auth.models import User
from equipbank.auth.permissions import admin_only
from equipbank.db import contains_text
from equipbank.errors import DomainError, NotFound
from equipbank.extensions import db
from equipbank.organisations.services import get_organisation
from equipbank.urls import external_url
from equipbank.web import paginate, save_and_flash, save_or_raise, save_or_show

bp = Blueprint("users", __name__, url_prefix="/admin/comptes")


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


@bp.route("/")
@admin_only
def index():
    filters = UserFilters(request.args)
    query = sa.select(User).order_by(User.name)
    if filters.q.data:
        query = query.where(
            contains_text(User.name, filters.q.data) | contains_text(User.email, filters.q.data)
        )
    if filters.role.data:
        query = query.where(User.role == filters.role.data)
    if filters.organisation.data:
        query = query.where(User.organisation_id == filters.organisation.data)
    if filters.state.data != "all":
        query = query.where(User.active.is_(filters.state.data != "inactive"))
    page = paginate(query)
    return render_template("users/index.html", page=page, filters=filters)


@bp.route("/nouveau", methods=["GET", "POST"])
@admin_only
def create():
    form = UserForm()
    if request.method == "GET" and request.args.get("organisation", "").isdigit():
        organisation = get_organisation(int(request.args["organisation"]))
        form.organisation_id.data = organisation.id
    if form.validate_on_submit():
        user = save_or_show(
            form,
            lambda: services.create_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                organisation=get_organisation(form.organisation_id.data),
                is_admin=form.is_admin.data,
                actor=current_user,
            ),
        )
        if user is not None:
            _email_welcome(user)
            return _link_page(user, created=True)
    return render_template("users/form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit(user_id: int):
    user = get_user(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        updated = save_or_show(
            form,
            lambda: services.update_user(
                user,
                name=form.name.data or "",
                role=form.role.data,
                organisation=get_organisation(form.organisation_id.data),
                is_admin=form.is_admin.data,
                actor=current_user,
            ),
        )
        if updated is not None:
            flash(f"Compte de {updated.name} enregistré.", "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/<int:user_id>/lien", methods=["POST"])
@admin_only
def new_link(user_id: int):
    """A fresh one-time link, for a lost first link or a forgotten password."""
    user = get_user(user_id)
    try:
        return save_or_raise(lambda: _link_page(user, created=False))
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/deconnecter", methods=["POST"])
@admin_only
def sign_out_everywhere(user_id: int):
    """Close every session and API token of the account (a lost laptop, a leaked token)."""
    user = get_user(user_id)
    save_and_flash(
        lambda: sessions.revoke_everything(user, actor=current_user, reason="admin"),
        "Toutes les sessions et tous les jetons d'API de ce compte sont fermés.",
    )
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/jetons/<int:token_id>/revoquer", methods=["POST"])
@admin_only
def revoke_token(user_id: int, token_id: int):
    user = get_user(user_id)
    row = services.get_api_token(token_id, viewer=current_user)
    if row.user_id != user.id:
        raise NotFound("Jeton introuvable.")
    services.revoke_api_token(row, actor=current_user)
    flash("Jeton révoqué : il ne donne plus accès à l'API.", "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/double-authentification", methods=["POST"])
@admin_only
def reset_second_factor(user_id: int):
    """A lost phone and lost recovery codes: the person enrols again at the next sign-in."""
    user = get_user(user_id)
    save_and_flash(
        lambda: twofactor.reset(user, actor=current_user),
        "Double authentification réinitialisée : elle sera de nouveau proposée à la connexion.",
    )
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/desactiver", methods=["POST"])
@admin_only
def deactivate(user_id: int):
    return _set_active(user_id, False, "désactivé : il ne peut plus se connecter")


@bp.route("/<int:user_id>/reactiver", methods=["POST"])
@admin_only
def reactivate(user_id: int):
    return _set_active(user_id, True, "réactivé")


def _set_active(user_id: int, active: bool, done: str):
    user = get_user(user_id)
    save_and_flash(
        lambda: services.set_user_active(user, active, actor=current_user),
        f"Compte de {user.name} {done}.",
    )
    return redirect(url_for("users.edit", user_id=user.id))


def _email_welcome(user: User) -> None:
    """The link by email too, once the account is saved; a mail server or a queue down does
    not undo the account (the admin has the link on screen)."""
    transaction.after_commit(
        jobs.enqueue,
        tasks.send_welcome,
        user.id,
        owner=current_user,
        description="E-mail de bienvenue",
    )


def _link_page(user: User, *, created: bool):
    token = services.issue_set_password_link(user, actor=current_user)
    link = external_url("auth.set_password", token=token)
    days = current_app.config["SET_PASSWORD_LINK_MAX_AGE"] // 86400
    response = render_template("users/link.html", user=user, link=link, created=created, days=days)
    # The link is a credential: never cached (`security.py` sends no-store on every page).
    return response, 201 if created else 200
