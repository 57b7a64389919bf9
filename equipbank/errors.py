"""Domain errors and the one place where every error becomes a response.

Services raise `DomainError` subclasses with a French message; views let them through or catch
them to re-render a form. Under `/api/` every error is JSON shaped as DESIGN.md §5 says:
`{"error": {"code": ..., "message": ..., "fields": {...}}}`; elsewhere a French HTML page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

HTTP_MESSAGES = {
    400: ("bad_request", "Requête invalide."),
    401: ("unauthorized", "Authentification requise."),
    403: ("forbidden", "Vous n'avez pas accès à cette page."),
    404: ("not_found", "Page introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée pour cette adresse."),
    409: ("conflict", "Conflit avec l'état actuel."),
    413: ("payload_too_large", "Fichier ou requête trop volumineux."),
    422: ("validation_error", "Données invalides."),
    429: ("too_many_requests", "Trop de requêtes ; réessayez dans un instant."),
    500: ("internal_error", "Erreur interne : l'équipe technique est prévenue."),
    503: ("service_unavailable", "Service momentanément indisponible : réessayez dans un instant."),
}

DATABASE_DOWN = (
    "La base de données ne répond pas : rien n'a été enregistré, réessayez dans quelques minutes."
)
QUEUE_DOWN = (
    "La file des tâches de fond ne répond pas : rien n'a été lancé, réessayez dans un instant."
)
# Seconds a client should wait before trying again (the Retry-After header of a 503).
RETRY_AFTER = "30"


class DomainError(Exception):
    """A rule of the domain said no. `message` is French and shown to the user as is."""

    status = 400
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


def check_all(message: str, *checks: Callable[[], object]) -> None:
    """Run every check to its end, even after one refuses, then refuse once naming every
    wrong field (with `message` when several refused): one answer says all there is to fix."""
    refusals: list[ValidationFailed] = []
    for check in checks:
        try:
            check()
        except ValidationFailed as refusal:
            refusals.append(refusal)
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        fields: dict[str, list[str]] = {}
        for each in refusals:
            for name, messages in each.fields.items():
                fields.setdefault(name, []).extend(messages)
        raise ValidationFailed(message, fields=fields)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class AuthenticationFailed(DomainError):
    status = 401
    code = "invalid_credentials"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Gone(DomainError):
    status = 410
    code = "gone"


class InvalidTransition(Conflict):
    code = "invalid_transition"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _respond(
    status: int,
    code: str,
    message: str,
    fields: dict | None = None,
    headers: dict[str, str] | None = None,
):
    headers = dict(headers or {})
    if is_api_request():
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="equipbank"'
        return error_body(code, message, fields), status, headers
    return render_template("errors/error.html", status=status, message=message), status, headers


def handle_domain_error(error: DomainError):
    return _respond(error.status, error.code, error.message, error.fields)


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    code, message = HTTP_MESSAGES.get(status, ("http_error", error.description or ""))
    fields = None
    # webargs (flask-smorest) attaches the field errors of a rejected body or query.
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        fields = _flatten_locations(messages)
    if fields:
        message = "Certains champs sont invalides."
    elif messages and "json" in messages:  # webargs: a body that is not JSON at all
        message = "Le corps de la requête n'est pas un JSON valide."
    elif status == 400 and error.description and is_api_request():
        message = _french_bad_request(error.description)
    return _respond(status, code, message, fields)


def handle_csrf_error(error: HTTPException):
    return _respond(
        400,
        "csrf_failed",
        "Le formulaire a expiré ou ne vient pas de cette application : rechargez la page et recommencez.",
    )


CONCURRENT_CHANGE = "Ces données viennent d'être modifiées par quelqu'un d'autre : rechargez la page et vérifiez avant de recommencer."


def concurrent_change(error: Exception | None = None) -> Conflict:
    """What a stale write or a unique constraint met at commit means for the person."""
    return Conflict(CONCURRENT_CHANGE, code="concurrent_change")


def handle_concurrent_change(error: Exception):
    """Two tabs, two people: the database refused the second write. Nothing was saved (the
    request boundary rolled back, `equipbank.App`)."""
    return handle_domain_error(concurrent_change(error))


NUL_MESSAGE = "La requête contient un caractère invalide (caractère nul) : vérifiez l'adresse ou le texte saisi."


def reject_nul_characters():
    """before_request: a NUL character in a query string, a form field or a JSON body (where
    it is written \\u0000) is a 400 with a message, before PostgreSQL, which cannot store
    one, turns it into a 500."""
    values = [value for _key, value in request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [value for _key, value in request.form.items(multi=True)]
    if any("\x00" in value for value in values) or (
        request.is_json and b"\\u0000" in request.get_data()
    ):
        return _respond(400, "bad_request", NUL_MESSAGE)
    return None


def handle_database_error(error: DBAPIError):
    """The database does not answer (restarting, unreachable): 503, and an HTML page that
    needs no database, since the French error template reads the signed-in user from it."""
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        if current_app.testing:
            raise error  # a bug, not an outage: the tests see it (handle_unexpected in production)
        return handle_unexpected(error)
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, error
    )
    headers = {"Retry-After": RETRY_AFTER}
    if is_api_request():
        return _respond(503, "service_unavailable", DATABASE_DOWN, headers=headers)
    assert current_app.static_folder is not None  # set by create_app
    page = (Path(current_app.static_folder) / "errors" / "503.html").read_text(encoding="utf-8")
    return page, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}


def handle_queue_down(error: RedisError):
    """Redis does not answer: what needed the queue is refused, 503 rather than 500; the
    request's changes are rolled back (`equipbank.App`)."""
    current_app.logger.warning(
        "Redis unavailable on %s %s: %s", request.method, request.path, error
    )
    return _respond(503, "service_unavailable", QUEUE_DOWN, headers={"Retry-After": RETRY_AFTER})


def handle_unexpected(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    code, message = HTTP_MESSAGES[500]
    return _respond(500, code, message)


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors by location (`json`, `query`...); clients want fields only."""
    fields: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            fields.update(location_errors)
    return fields


def _french_bad_request(description: str) -> str:
    if "JSON" in description:
        return "Le corps de la requête n'est pas un JSON valide."
    return "Requête invalide."


def register_error_handlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_concurrent_change)
    app.register_error_handler(IntegrityError, handle_concurrent_change)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(RedisError, handle_queue_down)
    app.before_request(reject_nul_characters)
    app.register_error_handler(HTTPException, handle_http_exception)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
