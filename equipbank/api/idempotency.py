"""`Idempotency-Key`: a client that retries a creating POST gets the first answer again.

A client whose request timed out cannot know whether it was saved; sent again with the same
`Idempotency-Key` header, the request is answered with the first successful answer (status
and body, and `Idempotent-Replayed: true`) and does nothing more. The same key with another
request (method, path or body) is a 422; without the header nothing changes.

The key is stored per user in the request's own transaction (`equipbank.App` commits it with
the work, or rolls both back): a request that fails leaves no key, and its retry does the work.
Two requests sent at once with one key meet on the unique (user, key) constraint: on
PostgreSQL the second waits for the first to commit, then replays its answer.

An answer may name a beneficiary (the beneficiary registered, the place of a follow-up): it
must not outlive the person's data. Each key notes what its request created, and anonymising
the person erases the answers that hold them (`erase_answers`). The key itself stays until it
expires and its retry is answered 410 `idempotency_answer_erased`: doing the work again would
register the erased person anew (or answer a handover's retry with a 409), and replaying
nothing would pretend the request never succeeded.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from equipbank.api.models import IdempotencyKey
from equipbank.clock import utcnow
from equipbank.db import Model
from equipbank.errors import Conflict, Gone, ValidationFailed
from equipbank.extensions import db

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")  # printable ASCII, as a UUID or any token

F = TypeVar("F", bound=Callable[..., Any])

# The header in the OpenAPI document of each endpoint that honours it.
_HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Optionnel. Renvoyée avec la même clé et le même corps, la requête reçoit "
    "la première réponse réussie (en-tête `Idempotent-Replayed: true`) sans rien créer de plus ; "
    "la même clé avec un autre corps : 422. Clé valable IDEMPOTENCY_KEY_TTL_HOURS heures. "
    "Si la personne que nommait la réponse a été anonymisée depuis, la réponse gardée est "
    "effacée : la même clé reçoit alors 410 `idempotency_answer_erased` (la requête d'origine "
    "a bien abouti ; rien n'est refait).",
}


def idempotent(resource: type[Model], *, id_field: str = "id") -> Callable[[F], F]:
    """Honour an `Idempotency-Key` header on this API endpoint (a creating POST), whose
    answer gives the id of the `resource` it created in `id_field`."""

    def decorator(view: F) -> F:
        return _idempotent(view, resource.__tablename__, id_field)

    return decorator


def _idempotent(view: F, resource_type: str, id_field: str) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None or not current_user.is_authenticated:
            return view(*args, **kwargs)
        if not _VALID_KEY.fullmatch(key):
            raise ValidationFailed(
                "En-tête Idempotency-Key invalide.",
                fields={HEADER: ["De 1 à 255 caractères ASCII imprimables."]},
            )
        fingerprint = _fingerprint()
        claim, first = _claim(current_user.id, key, fingerprint)
        if not first:
            return _replay(claim, fingerprint)
        response = current_app.make_response(view(*args, **kwargs))
        if claim in db.session:  # not dropped by a rollback inside the view
            if 200 <= response.status_code < 300 and response.is_json:
                claim.status_code = response.status_code
                claim.response_body = response.get_json()
                claim.resource_type = resource_type
                claim.resource_id = _created_id(claim.response_body, id_field)
            else:  # only a success is kept; anything else may be retried and do the work
                db.session.delete(claim)
            db.session.flush()
        return response

    doc = getattr(wrapper, "_apidoc", {})
    manual = doc.get("manual_doc", {})
    wrapper._apidoc = {  # type: ignore[attr-defined]  # read by flask-smorest's route()
        **doc,
        "manual_doc": {**manual, "parameters": [*manual.get("parameters", []), _HEADER_DOC]},
    }
    return wrapper  # type: ignore[return-value]


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the keys older than `IDEMPOTENCY_KEY_TTL_HOURS` (the periodic sweep). Returns
    how many."""
    result = db.session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < _expiry(now))
    )
    return result.rowcount  # type: ignore[attr-defined]


def erase_answers(created: Mapping[type[Model], sa.Select]) -> int:
    """Erase the kept answers of the requests that created these rows (each model with a
    select of their ids), and the digests of those requests: called when the person they
    name is anonymised. The keys stay, so that a retry is answered 410 rather than done
    again. One statement, however many rows. Returns how many keys."""
    created_by = [
        (IdempotencyKey.resource_type == model.__tablename__)
        & IdempotencyKey.resource_id.in_(_as_resource_ids(ids))
        for model, ids in created.items()
    ]
    result = db.session.execute(
        sa.update(IdempotencyKey)
        .where(sa.or_(*created_by), IdempotencyKey.erased_at.is_(None))
        # sa.null(): a None would be written as the JSON text 'null'.
        .values(response_body=sa.null(), request_hash=None, erased_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined]


def _as_resource_ids(ids: sa.Select) -> sa.Select:
    """The ids as `resource_id` holds them (text: a device is known by its tag)."""
    selected = ids.subquery()
    return sa.select(sa.cast(selected.c[0], IdempotencyKey.resource_id.type))


def _created_id(body: Any, id_field: str) -> str | None:
    value = body.get(id_field) if isinstance(body, dict) else None
    return None if value is None else str(value)


def _expiry(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(hours=current_app.config["IDEMPOTENCY_KEY_TTL_HOURS"])


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data())  # cached: the schema reads the same bytes after
    return digest.hexdigest()


def _find(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
    )


def _claim(user_id: int, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """This request's key, written now (True); or the key of an earlier request (False)."""
    earlier = _find(user_id, key)
    if earlier is not None and earlier.created_at < _expiry():
        db.session.delete(earlier)  # expired, not yet purged: the key is free again
        db.session.flush()
        earlier = None
    if earlier is not None:
        return earlier, False
    claim = IdempotencyKey(user_id=user_id, key=key, request_hash=fingerprint)
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError:
        # Another request with this key got there first; PostgreSQL made this one wait for
        # its commit, so its answer is there now.
        earlier = _find(user_id, key)
        if earlier is None:
            raise
        return earlier, False
    return claim, True


def _replay(earlier: IdempotencyKey, fingerprint: str) -> ResponseReturnValue:
    if earlier.erased_at is not None:  # no digest left to tell another body from the same
        raise Gone(
            "La réponse gardée pour cette clé Idempotency-Key a été effacée : la personne "
            "qu'elle nommait a été anonymisée depuis. La requête d'origine avait abouti ; "
            "elle n'est pas refaite.",
            code="idempotency_answer_erased",
        )
    if earlier.request_hash != fingerprint:
        raise ValidationFailed(
            "Cette clé Idempotency-Key a déjà servi pour une autre requête.",
            code="idempotency_key_reused",
            fields={HEADER: ["Clé déjà utilisée avec un autre corps ou une autre adresse."]},
        )
    if earlier.status_code is None:
        raise Conflict(
            "Une requête avec cette clé Idempotency-Key est en cours : réessayez dans un instant.",
            code="idempotency_in_progress",
        )
    response = current_app.json.response(earlier.response_body)
    response.status_code = earlier.status_code
    response.headers[REPLAYED_HEADER] = "true"
    return response
