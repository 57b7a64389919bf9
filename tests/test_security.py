"""What every answer tells the browser (`equipbank.security`): the security headers on every
route of the URL map, nothing that names a person kept in a browser's cache (France Services
share their computers), the client's address behind a trusted proxy, HSTS in production, and
no beneficiary's name in the session cookie."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from equipbank import create_app
from equipbank.audit.models import AuditEvent
from equipbank.codes import Role
from equipbank.config import ProductionConfig
from equipbank.extensions import db
from tests import factories
from tests.conftest import IsolatedClient
from tests.urlmap import (
    FIRST_NAME,
    JOB_ENDPOINTS,
    LAST_NAME,
    MAY_BE_UNAVAILABLE,
    World,
    build_world,
    server_error,
    visible_text,
    walk,
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CSP_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
}


@pytest.fixture
def world(app, api_token) -> World:
    return build_world(app, api_token)


def test_every_route_sends_the_security_headers_and_pages_naming_a_person_are_not_stored(
    app, world
):
    problems: list[str] = []
    naming: set[str] = set()
    answered: dict[str, set[int]] = {}
    for rule, who, path, response in walk(app, world):
        where = f"{path} as {who} ({response.status_code})"
        answered.setdefault(rule.endpoint, set()).add(response.status_code)
        if server_error(rule, response):
            problems.append(f"{where}: server error")
        for name, value in SECURITY_HEADERS.items():
            if response.headers.get(name) != value:
                problems.append(f"{where}: {name} is {response.headers.get(name)!r}")
        policy = {
            part.strip() for part in response.headers.get("Content-Security-Policy", "").split(";")
        }
        if not CSP_DIRECTIVES <= policy:
            problems.append(f"{where}: Content-Security-Policy lacks {CSP_DIRECTIVES - policy}")
        if "Strict-Transport-Security" in response.headers:
            problems.append(f"{where}: HSTS outside production")
        if LAST_NAME in visible_text(response):
            naming.add(rule.endpoint)
            if "no-store" not in response.headers.get("Cache-Control", ""):
                problems.append(f"{where}: names {LAST_NAME} but may be stored")
    assert problems == []

    # The walk saw the person where a relay looks for them: it checked something.
    assert {
        "beneficiaries.index",
        "beneficiaries.detail",
        "beneficiaries.edit",
        "handovers.index",
        "handovers.detail",
        "handovers.receipt",
        "appointments.detail",
        "api-beneficiaries.get_beneficiary",
        "api-beneficiaries.list_beneficiaries",
    } <= naming
    # Every route but the jobs (see JOB_ENDPOINTS) answered someone with its page (or, for
    # the home page, a redirection to the role's own).
    unanswered = {
        endpoint
        for endpoint, statuses in answered.items()
        if not any(200 <= status < 400 for status in statuses)
    }
    assert unanswered - MAY_BE_UNAVAILABLE == JOB_ENDPOINTS


def test_static_files_send_the_headers_and_may_be_cached(client):
    response = client.get("/static/css/equipbank.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_error_pages_redirects_and_form_answers_send_the_headers_too(client, auth):
    answers = [
        client.get("/no-such-page"),
        client.get("/beneficiaires/"),  # to the login page
        client.post("/login", data={"email": "nobody@example.org", "password": "x"}),
    ]
    relay = factories.user(Role.RELAY)
    auth.login(relay)
    answers.append(client.post("/beneficiaires/nouveau", data={"first_name": "A"}))
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    assert [response.status_code for response in answers][:2] == [404, 302]


def test_no_template_has_inline_script_or_style(app):
    """The policy allows no inline script or style: a template that adds one breaks the page."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I
    )
    found = [
        f"{path.name}: {match.group(0)}"
        for path in Path(app.template_folder).rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert found == []


# The proxy and HSTS ---------------------------------------------------------------


@pytest.fixture
def production_app(app):
    """The production configuration behind one trusted proxy, on the test database."""

    class BehindOneProxy(ProductionConfig):
        SECRET_KEY = "production-test-secret"
        BASE_URL = "https://equipbank.example.org"
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TRUSTED_PROXIES = 1
        REDIS_URL = None

    production = create_app(BehindOneProxy)
    production.test_client_class = IsolatedClient
    yield production
    with production.app_context():
        db.engine.dispose()


def read_beneficiary(client, person, headers, proxy_headers):
    response = client.get(
        f"/api/v1/beneficiaries/{person.id}",
        headers={**headers, **proxy_headers},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
    )
    assert response.status_code == 200
    return db.session.scalars(
        sa.select(AuditEvent.ip)
        .where(AuditEvent.action == "beneficiary.view")
        .order_by(AuditEvent.id.desc())
    ).first()


def test_behind_a_trusted_proxy_the_audit_log_records_the_person_not_the_proxy(
    app, production_app, api_token
):
    relay = factories.user(Role.RELAY)
    person = factories.beneficiary(relay)
    headers = api_token(relay)
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}

    assert read_beneficiary(production_app.test_client(), person, headers, forwarded) == (
        "203.0.113.7"
    )
    # Without TRUSTED_PROXIES (the default) the header is anyone's to write: ignored.
    assert read_beneficiary(app.test_client(), person, headers, forwarded) == "10.0.0.2"


def test_hsts_is_sent_in_production_only(app, production_app):
    answer = production_app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers


# Flash messages --------------------------------------------------------------------------


def session_of(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app)
    return str(serializer.loads(cookie.value)) if cookie else ""


def test_a_name_never_travels_in_the_session_cookie(app, client, auth, relay_user, advisor):
    from tests.handovers.test_handovers import handover_form

    auth.login(relay_user)
    created = client.post(
        "/beneficiaires/nouveau",
        data={
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "birth_year": "1958",
            "postal_code": "06440",
            "commune_code": "06057",
            "category": "senior_isolated",
            "consent": "y",
        },
    )
    assert created.status_code == 302
    assert "_flashes" in session_of(app, client) and LAST_NAME not in session_of(app, client)
    page = client.get(created.headers["Location"])
    assert "Bénéficiaire enregistré(e)." in page.text and LAST_NAME in page.text

    device = factories.at_relay(relay_user)
    handed = client.post(
        "/remises/nouvelle", data=handover_form(device, advisor, last_name="Benaliova")
    )
    assert handed.status_code == 302
    assert "_flashes" in session_of(app, client) and "Benaliova" not in session_of(app, client)
    page = client.get(handed.headers["Location"])
    assert f"{device.tag} remis." in page.text and "Benaliova" in page.text
