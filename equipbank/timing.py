"""How long each request took, for whoever needs it: the JSON logs and the Prometheus metrics.

`time_requests` is called only by a feature that is on (`LOG_FORMAT=json`, `METRICS_TOKEN`):
with both off, nothing runs around the requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, g

_STARTED = "equipbank-request-timer"


def time_requests(app: Flask, observe: Callable[[Response, float], None]) -> None:
    """Call `observe(response, seconds since the request began)` as each request ends."""
    if not app.extensions.get(_STARTED):
        app.extensions[_STARTED] = True
        app.before_request(_start)

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:  # None: a request refused by a hook run before the timer's
            observe(response, time.perf_counter() - started)
        return response


def _start() -> None:
    g.request_started = time.perf_counter()
