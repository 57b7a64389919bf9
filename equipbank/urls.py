"""Absolute URLs for what leaves the browser: QR labels, emailed links, calendar files."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def local_path(target: str | None) -> str | None:
    """`target` if it is a path of this site, else None: never an open redirect. A backslash
    counts as a slash for browsers ("/\\evil.example" is "//evil.example")."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def own_hosts() -> set[str]:
    """The hosts this app answers on: the request's, and BASE_URL's when set."""
    from flask import request

    hosts = {request.host.lower()}
    if current_app.config.get("BASE_URL"):
        hosts.add(urlsplit(current_app.config["BASE_URL"]).netloc.lower())
    return hosts


def external_url(endpoint: str, **values) -> str:
    """`BASE_URL` + the endpoint's path: never the request's Host header, which anyone can
    set (a set-password link must not point elsewhere), and jobs have no request anyway.
    Every configuration has a BASE_URL (development a default, production refuses to start
    without one); a link asked for without it is a configuration error, not a guess."""
    base = current_app.config.get("BASE_URL")
    if not base:
        raise RuntimeError("BASE_URL n'est pas défini : impossible de construire un lien absolu.")
    if has_request_context():
        return base.rstrip("/") + url_for(endpoint, **values)
    # Outside a request url_for wants SERVER_NAME, which would also narrow the hosts served.
    adapter = current_app.url_map.bind("", script_name=current_app.config["APPLICATION_ROOT"])
    return base.rstrip("/") + adapter.build(endpoint, values)
