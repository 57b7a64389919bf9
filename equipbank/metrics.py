"""GET /metrics: the figures Prometheus scrapes (prometheus-client).

Request latency by endpoint and status, measured in this process (or summed over gunicorn's
workers: `init_app`); the health figures and the queue's jobs (`equipbank.health`), computed
at each scrape. Closed unless `METRICS_TOKEN` is set (404), then only with
`Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from equipbank import health
from equipbank.auth.permissions import public
from equipbank.timing import time_requests

bp = Blueprint("metrics", __name__)

EXTENSION = "equipbank-metrics"
# prometheus-client's own variable: where the processes of one gunicorn write their figures.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class HealthCollector(Collector):
    """The health figures (`equipbank.health.Report`), read when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        found = health.report()
        yield _gauge("equipbank_up", "1 when every part that must run runs", found.healthy)
        yield _gauge("equipbank_database_up", "1 when the database answers", found.database == "ok")
        if found.queue != "inline":
            yield _gauge("equipbank_redis_up", "1 when Redis answers", found.queue == "ok")
        for name, documentation, value in (
            ("equipbank_workers", "rq workers that beat within a minute", found.workers),
            (
                "equipbank_scheduler_heartbeat_age_seconds",
                "Seconds since the scheduler last beat",
                found.scheduler_heartbeat_age_seconds,
            ),
            (
                "equipbank_last_sweep_age_seconds",
                "Seconds since the periodic sweep last succeeded",
                found.last_sweep_age_seconds,
            ),
            (
                "equipbank_unsent_reminders",
                "Reminders of the last 7 days not sent before their appointment",
                found.unsent_reminders,
            ),
        ):
            if value is not None:  # not known: no sample, rather than a false 0
                yield _gauge(name, documentation, value)
        # The setting, so that an alert on a late sweep follows it (docs/prometheus-alerts.yml).
        yield _gauge(
            "equipbank_sweep_interval_seconds",
            "How often the scheduler queues the periodic sweep (SWEEP_INTERVAL_SECONDS)",
            current_app.config["SWEEP_INTERVAL_SECONDS"],
        )
        if found.queued_jobs is not None and found.failed_jobs is not None:
            family = GaugeMetricFamily(
                "equipbank_jobs", "rq jobs of the app's queue", labels=["state"]
            )
            family.add_metric(["queued"], found.queued_jobs)
            family.add_metric(["failed"], found.failed_jobs)
            yield family


def _gauge(name: str, documentation: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def init_app(app: Flask) -> None:
    """Without `METRICS_TOKEN`, nothing: no route (a 404) and no request timed. With it, one
    registry per app (tests build several) and the latency measured around each request.

    Under gunicorn, each worker is a process of its own with its own figures: with
    `PROMETHEUS_MULTIPROC_DIR` set in its environment (prometheus-client reads it when it is
    imported, so it is not a setting of `equipbank.config`), every worker writes its figures
    to files there and the one that answers `/metrics` sums them all (`gunicorn.conf.py`).
    """
    if not app.config.get("METRICS_TOKEN"):
        return
    registry = CollectorRegistry()
    shared = os.environ.get(MULTIPROCESS_DIR)
    if shared:
        if not os.path.isdir(shared):
            raise RuntimeError(
                f"{MULTIPROCESS_DIR}={shared!r} n'est pas un dossier : créez-le "
                "(docs/operations.md, Prometheus)."
            )
        MultiProcessCollector(registry, path=shared)
    latency = Histogram(
        "equipbank_request_duration_seconds",
        "Time to answer an HTTP request, by endpoint and status",
        ["endpoint", "status"],
        # Shared: written to the files the collector reads, not registered a second time.
        registry=None if shared else registry,
    )
    registry.register(HealthCollector())
    app.extensions[EXTENSION] = registry

    def observe(response: Response, seconds: float) -> None:
        # The endpoint, never the path: ids in paths would make a series per record.
        latency.labels(request.endpoint or "none", str(response.status_code)).observe(seconds)

    time_requests(app, observe)
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
