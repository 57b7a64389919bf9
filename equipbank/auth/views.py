"""Log in, log out (POST only), set a password from a one-time link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from equipbank.auth import services
from equipbank.auth.forms import LoginForm, SetPasswordForm
from equipbank.auth.permissions import logged_in, public
from equipbank.errors import DomainError
from equipbank.forms import add_errors
from equipbank.urls import local_path

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Adresse e-mail ou mot de passe incorrect."


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(GENERIC_LOGIN_ERROR, "error")
        else:
            login_user(user)
            services.record_login(user)
            return redirect(local_path(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    logout_user()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    user = services.user_from_set_password_token(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data or "")
        except DomainError as error:
            add_errors([form, form.password], [error.message])
        else:
            logout_user()
            flash("Votre mot de passe est enregistré. Vous pouvez vous connecter.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)
