"""Absolute URLs for what leaves the browser: QR labels, emailed links, calendar files."""

from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    """`BASE_URL` + the endpoint's path when configured (behind a proxy), else the request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
