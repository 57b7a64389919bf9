"""docs/prometheus-alerts.yml: well-formed rules, on metrics the app really exports."""

from __future__ import annotations

import re

import pytest
import yaml

from equipbank import PROJECT_ROOT, health
from tests.test_metrics import AUTHORIZED, samples

RULES = PROJECT_ROOT / "docs" / "prometheus-alerts.yml"

# Series Prometheus records itself for each scrape, not the app.
PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}


def alert_rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expression: str) -> set[str]:
    """The series an expression reads: its names, less functions, keywords, label names
    (inside braces or after by/on...), strings, durations and numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("(") or match.group() in PROMQL_WORDS:
            continue  # a function, or an operator
        names.add(match.group())
    return names


def test_metric_names_are_found_in_an_expression():
    assert metric_names(
        'sum by (endpoint) (rate(a_total{status=~"5.."}[5m])) / on() b > 3 * c'
    ) == {"a_total", "b", "c"}


def test_every_rule_is_complete():
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["expr"].strip() and metric_names(rule["expr"]), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


@pytest.fixture
def every_figure_known(monkeypatch):
    """A report where Redis answers and every figure is known, so /metrics has every series."""
    known = health.Report(
        "ok",
        queue="ok",
        worker="ok",
        workers=1,
        scheduler="ok",
        scheduler_heartbeat_age_seconds=5,
        last_sweep_age_seconds=30,
        queued_jobs=0,
        failed_jobs=0,
        unsent_reminders=0,
    )
    monkeypatch.setattr(health, "report", lambda: known)


@pytest.mark.usefixtures("every_figure_known")
def test_the_rules_use_only_metrics_the_app_exports(client):
    assert client.get("/login").status_code == 200  # a request timed: the histogram's series
    exported = {name for name, _ in samples(client.get("/metrics", headers=AUTHORIZED))}
    assert "equipbank_request_duration_seconds_count" in exported
    used = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))
    assert used - PROMETHEUS_OWN <= exported, sorted(used - PROMETHEUS_OWN - exported)
    alerts = {rule["alert"] for rule in alert_rules()}
    assert {"EquipbankDown", "EquipbankNoWorker", "EquipbankSweepLate"} <= alerts
