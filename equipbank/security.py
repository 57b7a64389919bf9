"""What every answer carries for the browser's protection, and who may say where a request
came from.

- Security headers on every response, error pages and redirects included: a Content Security
  Policy with no inline script or style (the templates have none, the charts are SVG drawn
  with attributes, not `style`), no framing, no MIME sniffing, the referrer kept on this site,
  and HSTS where the configuration gives one (production).
- `Cache-Control: no-store` on every response but the static files: pages and API answers
  carry personal data (a beneficiary's name, a handover, an account) and relays work on shared
  computers (France Services); a browser or proxy must keep none of them. One rule for all,
  rather than a list of pages to keep up to date: the few public pages lose nothing by it.
- `TRUSTED_PROXIES`: the number of reverse proxies in front of the app. With it, the client's
  address and scheme are read from their `X-Forwarded-For` and `X-Forwarded-Proto` (so the
  audit log records the person's address, not the proxy's); without it (the default) those
  headers are ignored, since anyone could send them.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that predate it
    "Referrer-Policy": "same-origin",
}

# Static files are the same for everyone and may be cached; nothing else may.
CACHEABLE_ENDPOINTS = frozenset({"static"})


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts:
        response.headers["Strict-Transport-Security"] = hsts
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response
