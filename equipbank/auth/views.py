"""Sign in (password, then a second factor when the account has one), sign out (POST only),
confirm an email address, set a password from a one-time link (an admin's, or one asked for
on "Mot de passe oublié ?"), and one's own account page: open sessions, API tokens,
two-factor."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from equipbank import throttle
from equipbank.auth import services, sessions, twofactor
from equipbank.auth.forms import CodeForm, EmailForm, LoginForm, SetPasswordForm
from equipbank.auth.models import User
from equipbank.auth.permissions import logged_in, public
from equipbank.errors import DomainError
from equipbank.extensions import db
from equipbank.forms import add_errors
from equipbank.urls import local_path
from equipbank.web import save_or_raise, save_or_show

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Adresse e-mail ou mot de passe incorrect."
UNCONFIRMED = (
    "Confirmez d'abord votre adresse e-mail : suivez le lien que nous vous avons envoyé "
    "(vous pouvez en demander un nouveau ci-dessous)."
)
_PENDING = sessions.PENDING_SIGN_IN
PENDING_SECONDS = 300


@bp.route("/login", methods=["GET", "POST"])
@public
@throttle.login_attempts
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            flash(GENERIC_LOGIN_ERROR, "error")
        elif user.email_confirmed_at is None:
            flash(UNCONFIRMED, "error")
        elif user.uses_totp or twofactor.required_for(user):
            session[_PENDING] = {
                "user_id": user.id,
                "until": time.time() + PENDING_SECONDS,
                "next": local_path(request.args.get("next")),
            }
            return redirect(url_for("auth.second_factor" if user.uses_totp else "auth.enrol"))
        else:
            sessions.sign_in(user)
            return redirect(local_path(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _pending_user() -> User | None:
    """The account whose password was just checked, for the next few minutes."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    user = db.session.get(User, pending.get("user_id"))
    return user if user is not None and user.is_active else None


def _finish_sign_in(user: User):
    target = session.get(_PENDING, {}).get("next")
    sessions.sign_in(user)
    return redirect(target or url_for("home.index"))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@throttle.second_factor_attempts
def second_factor():
    user = _pending_user()
    if user is None or not user.uses_totp:
        flash("Reprenez la connexion depuis le début.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.verify(user, form.code.data or ""):
            return _finish_sign_in(user)
        add_errors([form, form.code], ["Code incorrect ou déjà utilisé."])
    return render_template("auth/second_factor.html", form=form), 422 if form.errors else 200


@bp.route("/compte/double-authentification", methods=["GET", "POST"])
@public
@throttle.second_factor_attempts
def enrol():
    """Enrol an authenticator app: when required, between the password and the first
    sign-in; otherwise from one's account page."""
    user = current_user if current_user.is_authenticated else _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.uses_totp:  # a new secret would replace the one in use: its code is asked instead
        if current_user.is_authenticated:
            flash("La double authentification est déjà activée sur votre compte.", "info")
            return redirect(url_for("auth.account"))
        return redirect(url_for("auth.second_factor"))
    form = CodeForm()
    if request.method == "GET" or user.totp_secret is None:
        twofactor.start_enrolment(user)
        form = CodeForm(formdata=None)
    elif form.validate_on_submit():
        codes = save_or_show(form, lambda: twofactor.enable(user, form.code.data or ""))
        if codes is not None:
            if not current_user.is_authenticated:
                sessions.sign_in(user)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = twofactor.provisioning_uri(user)
    page = render_template(
        "auth/enrol.html",
        form=form,
        user=user,
        secret=user.totp_secret,
        qr_svg=twofactor.qr_svg(uri),
        required=twofactor.required_for(user),
    )
    return page, 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    sessions.sign_out(current_user)
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/confirmer/<token>")
@public
def confirm_email(token: str):
    user = services.confirm_email(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    flash("Votre adresse est confirmée : vous pouvez vous connecter.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/confirmer", methods=["GET", "POST"])
@public
@throttle.confirmation_requests
def resend_confirmation():
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data or "")
        flash(
            "Si un compte attend une confirmation à cette adresse, un nouveau lien vient de partir.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/resend.html", form=form), 422 if form.errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@throttle.set_password_attempts
def set_password(token: str):
    return _new_password_page(
        services.user_from_set_password_token(token),
        services.set_password,
        "Votre mot de passe est enregistré. Vous pouvez vous connecter.",
    )


def _new_password_page(user, save: Callable[[User, str], None], done: str, *, reset=False):
    """A one-time link's page (set-password, reset): a new password for `user` (None: the
    link is invalid or used), then this browser signed out and sent to the login page."""
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            save_or_raise(lambda: save(user, form.password.data or ""))
        except DomainError as error:
            add_errors([form, form.password], [error.message])
        else:
            sessions.sign_out_browser()
            flash(done, "success")
            return redirect(url_for("auth.login"))
    page = render_template("auth/set_password.html", form=form, user=user, reset=reset)
    return page, 422 if form.errors else 200


RESET_ASKED = (
    "Si un compte existe à cette adresse, un lien pour choisir un nouveau mot de passe vient "
    "d'y être envoyé. Il est valable {lifetime} et ne sert qu'une fois ; pensez à regarder "
    "dans les indésirables."
)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
@throttle.password_reset_requests
def forgot_password():
    """Ask for a reset link by email: the same answer whether the address has an account."""
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        flash(RESET_ASKED.format(lifetime=services.reset_link_lifetime()), "info")
        return redirect(url_for("auth.login"))
    page = render_template("auth/forgot_password.html", form=form)
    return page, 422 if form.errors else 200


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
@public
@throttle.set_password_attempts
def reset_password(token: str):
    """The emailed link: a new password, then every session of the account is closed."""
    return _new_password_page(
        services.user_from_password_reset_token(token),
        services.reset_password,
        "Votre nouveau mot de passe est enregistré et toutes vos sessions sont fermées. "
        "Connectez-vous avec lui.",
        reset=True,
    )


@bp.route("/compte")
@logged_in
def account():
    return render_template(
        "auth/account.html",
        open_sessions=len(sessions.active_sessions(current_user)),
        tokens=current_user.api_tokens,
        totp_required=twofactor.required_for(current_user),
        token_days=current_app.config["API_TOKEN_MAX_AGE_DAYS"],
    )


@bp.route("/compte/deconnexion-partout", methods=["POST"])
@logged_in
def sign_out_everywhere():
    sessions.revoke_everything(current_user, actor=current_user, reason="everywhere")
    sessions.sign_out_browser()
    flash("Toutes vos sessions et vos jetons d'API sont fermés. Reconnectez-vous.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/compte/jetons/<int:token_id>/revoquer", methods=["POST"])
@logged_in
def revoke_token(token_id: int):
    row = services.get_api_token(token_id, viewer=current_user)
    services.revoke_api_token(row, actor=current_user)
    flash("Jeton révoqué : il ne donne plus accès à l'API.", "success")
    return redirect(url_for("auth.account"))
