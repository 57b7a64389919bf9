"""GET /metrics: the figures Prometheus scrapes (prometheus-client).

Request latency by endpoint and status, measured in this process; the queue's jobs and the
health figures (`equipbank.health`), computed at each scrape. Closed unless `METRICS_TOKEN`
is set (404), then only with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from equipbank import jobs
from equipbank.auth.permissions import public

bp = Blueprint("metrics", __name__)

EXTENSION = "equipbank-metrics"


class HealthCollector(Collector):
    """The health figures and the queue's jobs, read when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from equipbank.health import report

        body, healthy = report()
        yield _gauge("equipbank_up", "1 when every part that must run runs", healthy)
        yield _gauge(
            "equipbank_database_up", "1 when the database answers", body["database"] == "ok"
        )
        if body["queue"] != "inline":
            yield _gauge("equipbank_redis_up", "1 when Redis answers", body["queue"] == "ok")
        figures = {
            "equipbank_workers": ("rq workers that beat within a minute", "workers"),
            "equipbank_scheduler_heartbeat_age_seconds": (
                "Seconds since the scheduler last beat",
                "scheduler_heartbeat_age_seconds",
            ),
            "equipbank_last_sweep_age_seconds": (
                "Seconds since the periodic sweep last succeeded",
                "last_sweep_age_seconds",
            ),
            "equipbank_unsent_reminders": (
                "Reminders of the last 7 days not sent before their appointment",
                "unsent_reminders",
            ),
        }
        for name, (documentation, key) in figures.items():
            if body.get(key) is not None:  # not known: no sample, rather than a false 0
                yield _gauge(name, documentation, body[key])
        if body["queue"] == "ok":
            yield from _job_counts()


def _job_counts() -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily("equipbank_jobs", "rq jobs of the app's queue", labels=["state"])
    try:
        queue = jobs.queue()
        family.add_metric(["queued"], queue.count)
        family.add_metric(["failed"], queue.failed_job_registry.count)
    except RedisError:
        return
    yield family


def _gauge(name: str, documentation: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def init_app(app: Flask) -> None:
    """One registry per app (tests build several), holding the latency histogram."""
    registry = CollectorRegistry()
    latency = Histogram(
        "equipbank_request_duration_seconds",
        "Time to answer an HTTP request, by endpoint and status",
        ["endpoint", "status"],
        registry=registry,
    )
    registry.register(HealthCollector())
    app.extensions[EXTENSION] = registry

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            # The endpoint, never the path: ids in paths would make a series per record.
            endpoint = request.endpoint or "none"
            latency.labels(endpoint, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    app.register_blueprint(bp)


@bp.route("/metrics")
@public  # its own check: the bearer token of the setting, not a user's session
def metrics() -> Response:
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        abort(401)
    registry = current_app.extensions[EXTENSION]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
