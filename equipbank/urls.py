"""Absolute URLs for what leaves the browser: QR labels, emailed links, calendar files."""

from __future__ import annotations

from flask import current_app, url_for


def public_base_url() -> str:
    """The address people reach the app at: `BASE_URL`, else the current request's root."""
    from flask import request

    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def qr_url(base_url: str, tag: str) -> str:
    """What a device's QR label encodes: the absolute URL of `/d/<tag>`."""
    return f"{base_url}/d/{tag}"


def external_url(endpoint: str, **values) -> str:
    """`BASE_URL` + the endpoint's path when configured (behind a proxy), else the request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
