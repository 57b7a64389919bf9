"""Throttling: how often a password may be tried, a company registered, a duplicate checked,
a postal code looked up.

Views declare a policy with one decorator (`@throttle.login_attempts`...), which only marks
them; `init_app` builds one Flask-Limiter per app and puts the policy's limits around each
marked view. The limits are settings (`THROTTLE_*`, README "Security"):

- a password (web login and API token share the counters): failures per account typed, counted
  only when the password is refused, so once they are used up the right password is refused
  too until the window passes; and attempts per client address, whatever their outcome;
- a set-password link, a donor registration: submissions per client address;
- the possible-duplicate check on beneficiaries: refused submissions per logged-in account
  (each refusal tells whether a person is known, in any relay);
- "Mot de passe oublié ?": requests per email typed (known or not: the same answer) and per
  address, as each one sends a message;
- the forms' postal code -> commune look-up, open to anyone (the donor registration form is
  public): look-ups per client address.

Past a limit the answer is a 429 with `Retry-After`, a French page or the API's error JSON
(`too_many_requests`), the same whether the account typed exists or not. Counters live in
Redis when there is one; if Redis stops answering, each process counts in memory and a warning
is logged (Flask-Limiter's in-memory fallback), so a login never fails because of throttling.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, make_response, request, session
from flask.wrappers import Response
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user
from limits import parse_many

from equipbank.auth.services import normalise_email
from equipbank.auth.sessions import PENDING_SIGN_IN
from equipbank.config import Config
from equipbank.errors import DomainError, handle_domain_error

F = TypeVar("F", bound=Callable)

# The limits are the settings named THROTTLE_* ("5 per 15 minutes"), but for the counters' key
# prefix: a new limit is checked at start as soon as it is named so, and a THROTTLE_ setting
# that is not a limit stops the app until it is listed here.
NOT_LIMITS = frozenset({"THROTTLE_KEY_PREFIX"})
LIMIT_SETTINGS = tuple(
    name for name in dir(Config) if name.startswith("THROTTLE_") and name not in NOT_LIMITS
)

TOO_MANY_PASSWORDS = "Trop de tentatives de connexion."
TOO_MANY_SET_PASSWORDS = "Trop d'essais de mot de passe depuis cette adresse."
TOO_MANY_REGISTRATIONS = "Trop d'inscriptions envoyées depuis cette adresse."
TOO_MANY_DUPLICATE_CHECKS = "Trop de fiches refusées comme doublons possibles en peu de temps."
TOO_MANY_CODES = "Trop de codes de connexion refusés."
TOO_MANY_CONFIRMATIONS = "Trop de liens de confirmation demandés depuis cette adresse."
TOO_MANY_LOOKUPS = "Trop de codes postaux cherchés depuis cette adresse."
TOO_MANY_RESETS = "Trop de demandes de nouveau mot de passe."


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


# Views: one decorator each, under the access decorator. They only mark the view.


def login_attempts(view: F) -> F:
    """POST /login: failures per email typed in the form, attempts per address."""
    return _mark(view, "login")


def token_requests(view: F) -> F:
    """POST /api/v1/tokens: failures per email given in HTTP Basic, attempts per address."""
    return _mark(view, "token")


def set_password_attempts(view: F) -> F:
    """A set-password link: submissions per address."""
    return _mark(view, "set_password")


def registrations(view: F) -> F:
    """The donor registration form: submissions per address ("add a line" does not count)."""
    return _mark(view, "registration")


def second_factor_attempts(view: F) -> F:
    """The two-factor code after the password: refused codes per account being signed in."""
    return _mark(view, "second_factor")


def confirmation_requests(view: F) -> F:
    """A new confirmation link asked for: requests per address (each sends an email)."""
    return _mark(view, "confirmation")


def duplicate_checks(view: F) -> F:
    """Beneficiary creation and edits: possible-duplicate refusals per logged-in account."""
    return _mark(view, "duplicate_check")


def password_reset_requests(view: F) -> F:
    """ "Mot de passe oublié ?": requests per email typed (each sends it a message), known or
    not, and per address."""
    return _mark(view, "password_reset")


def commune_lookups(view: F) -> F:
    """The postal code -> commune look-up of the forms: requests per address."""
    return _mark(view, "commune_lookup")


def _mark(view: F, policy: str) -> F:
    view.throttle_policy = policy  # type: ignore[attr-defined]
    return view


# Who is counted.


def client_address() -> str:
    """The client's address; behind the reverse proxy, ProxyFix has already corrected it."""
    return f"address:{request.remote_addr or 'unknown'}"


def account_in_form() -> str:
    return _account_key(request.form.get("email", ""))


def account_in_basic_auth() -> str:
    credentials = request.authorization
    username = credentials.username if credentials and credentials.type == "basic" else None
    return _account_key(username or "")


def _account_key(email: str) -> str:
    """The email typed, whether an account has it or not; keyed, so the counters' storage
    holds no email address."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return f"account:{digest[:32]}"


def logged_in_account() -> str:
    return f"user:{current_user.id}"


def account_signing_in() -> str:
    """The account whose password was just accepted (or the one signed in, enrolling)."""
    pending = session.get(PENDING_SIGN_IN)
    if isinstance(pending, dict) and pending.get("user_id"):
        return f"user:{pending['user_id']}"
    return logged_in_account() if current_user.is_authenticated else client_address()


# When an answer counts.


def password_refused(response: Response) -> bool:
    """The sign-in form came back (wrong password, invalid form) or the API said 401; a
    redirect (into the app, or to a next sign-in step) is a password accepted."""
    return response.status_code in (200, 401, 422)


def submission_refused(response: Response) -> bool:
    """The form came back with errors (422), or the API refused (409 possible duplicate, 422)."""
    return response.status_code in (409, 422)


def line_added() -> bool:
    """The registration form's "Ajouter une ligne" button: nothing is checked or saved."""
    return "add_line" in request.form


# Binding.


def init_app(app: Flask) -> None:
    """One limiter per app, its storage, the 429 answer, and the limits around marked views.
    Call it once the blueprints are registered."""
    config = app.config
    for name in LIMIT_SETTINGS:
        parse_many(config[name])  # a mistyped limit stops the app here, not at the first login
    limiter = Limiter(
        key_func=client_address,
        storage_uri=storage_uri(app),
        storage_options=storage_options(app),
    )
    limiter.init_app(app)
    app.extensions["throttle"] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    if not limiter.enabled:
        return
    policies = _policies(limiter, config)
    for endpoint, view in list(app.view_functions.items()):
        policy = getattr(view, "throttle_policy", None)
        if policy is None:
            continue
        limited = view
        for limit in policies[policy]:
            limited = limit(limited)
        app.view_functions[endpoint] = limited


def storage_uri(app: Flask) -> str:
    return app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"


def storage_options(app: Flask) -> dict:
    if not storage_uri(app).startswith(("redis://", "rediss://", "redis+unix://")):
        return {}
    # A Redis that hangs must not hold a login for long: fail fast, then the fallback counts.
    return {
        "key_prefix": app.config["THROTTLE_KEY_PREFIX"],
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }


def _policies(limiter: Limiter, config) -> dict[str, list[Callable]]:
    failures = config["THROTTLE_LOGIN_FAILURES_PER_ACCOUNT"]
    attempts = config["THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS"]

    def password_limits(account_key: Callable[[], str]) -> list[Callable]:
        # Shared scopes: the web form and the API token count against the same password.
        return [
            limiter.shared_limit(
                failures,
                scope="password-failures",
                key_func=account_key,
                methods=["POST"],
                deduct_when=password_refused,
                error_message=TOO_MANY_PASSWORDS,
            ),
            limiter.shared_limit(
                attempts,
                scope="password-attempts",
                methods=["POST"],
                error_message=TOO_MANY_PASSWORDS,
            ),
        ]

    return {
        "login": password_limits(account_in_form),
        "token": password_limits(account_in_basic_auth),
        "set_password": [
            limiter.limit(
                config["THROTTLE_SET_PASSWORD_PER_ADDRESS"],
                methods=["POST"],
                error_message=TOO_MANY_SET_PASSWORDS,
            )
        ],
        "registration": [
            limiter.limit(
                config["THROTTLE_REGISTRATIONS_PER_ADDRESS"],
                methods=["POST"],
                exempt_when=line_added,
                error_message=TOO_MANY_REGISTRATIONS,
            )
        ],
        "second_factor": [
            limiter.shared_limit(
                config["THROTTLE_SECOND_FACTOR_FAILURES"],
                scope="second-factor-failures",
                key_func=account_signing_in,
                methods=["POST"],
                deduct_when=submission_refused,
                error_message=TOO_MANY_CODES,
            )
        ],
        "confirmation": [
            limiter.limit(
                config["THROTTLE_REGISTRATIONS_PER_ADDRESS"],
                methods=["POST"],
                error_message=TOO_MANY_CONFIRMATIONS,
            )
        ],
        "password_reset": [
            limiter.limit(
                config["THROTTLE_PASSWORD_RESETS_PER_ACCOUNT"],
                key_func=account_in_form,
                methods=["POST"],
                error_message=TOO_MANY_RESETS,
            ),
            limiter.limit(
                config["THROTTLE_PASSWORD_RESETS_PER_ADDRESS"],
                methods=["POST"],
                error_message=TOO_MANY_RESETS,
            ),
        ],
        "commune_lookup": [
            limiter.limit(
                config["THROTTLE_COMMUNE_LOOKUPS_PER_ADDRESS"], error_message=TOO_MANY_LOOKUPS
            )
        ],
        "duplicate_check": [
            limiter.shared_limit(
                config["THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT"],
                scope="duplicate-check",
                key_func=logged_in_account,
                methods=["POST"],
                deduct_when=submission_refused,
                error_message=TOO_MANY_DUPLICATE_CHECKS,
            )
        ],
    }


# The answer.


def too_many_requests(error: RateLimitExceeded):
    seconds = seconds_until_retry(error)
    message = f"{error.description} Par sécurité, réessayez {_in_words(seconds)}."
    response = make_response(handle_domain_error(TooManyRequests(message)))
    response.headers["Retry-After"] = str(seconds)
    return response


def seconds_until_retry(error: RateLimitExceeded) -> int:
    """Until the window of the limit met ends; the whole window if the storage cannot say."""
    window = int(error.limit.limit.get_expiry())
    limiter: Limiter = current_app.extensions["throttle"]
    met = limiter.current_limit
    try:
        if met is not None and met.breached:
            return min(window, max(1, math.ceil(met.window.reset_time - time.time())))
    except Exception:  # the storage went away since the check: the whole window is a safe wait
        current_app.logger.warning("throttle: window of the limit met unknown", exc_info=True)
    return window


def _in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return "dans une minute"
    if minutes < 90:
        return f"dans {minutes} minutes"
    return f"dans {round(minutes / 60)} heures"
