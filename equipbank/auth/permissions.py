"""Who may open what: every endpoint declares it, or nobody can open it.

`@public` opens a view to anyone; `@roles("staff", "relay")` to logged-in users of those roles;
`@admin_only` to staff with `is_admin`. The app-wide `guard` runs before each request and
refuses (401/403) an endpoint that declared nothing, so a forgotten decorator fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import Forbidden, Unauthorized

from equipbank.codes import Role

F = TypeVar("F", bound=Callable)

ALL_ROLES = tuple(Role.codes())


def public(view: F) -> F:
    view.access = "public"  # type: ignore[attr-defined]
    return view


def declare_public(app, endpoint: str) -> None:
    """Open an endpoint registered by a library (static files, the OpenAPI document)."""
    view = app.view_functions[endpoint]

    @wraps(view)
    def opened(*args, **kwargs):
        return view(*args, **kwargs)

    app.view_functions[endpoint] = public(opened)


def roles(*allowed: str) -> Callable[[F], F]:
    unknown = set(allowed) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        view.access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def logged_in(view: F) -> F:
    return roles(*ALL_ROLES)(view)


def admin_only(view: F) -> F:
    view.access = "admin"  # type: ignore[attr-defined]
    return view


def access_of(endpoint: str | None):
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "access", None)


def guard():
    """before_request: apply the access declared by the endpoint."""
    if request.endpoint is None:  # 404/405: let the error handlers answer
        return None
    access = access_of(request.endpoint)
    if access == "public":
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            raise Unauthorized()
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access == "admin":
        if current_user.role == Role.STAFF and current_user.is_admin:
            return None
    elif isinstance(access, frozenset) and current_user.role in access:
        return None
    raise Forbidden()
