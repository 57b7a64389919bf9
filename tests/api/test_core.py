"""The API's common contract: health, tokens, the error shape, the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.auth.models import ApiToken
from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories


def public_health(response) -> dict:
    """The fields of the first contract; the heartbeats added since are in tests/test_faults.py."""
    return {key: response.get_json()[key] for key in ("status", "database", "queue")}


def test_health_reports_database_and_queue(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # with Redis, a worker must beat too
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert public_health(response) == {"status": "ok", "database": "ok", "queue": "inline"}


def test_health_says_when_the_queue_is_down(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert public_health(response) == {"status": "error", "database": "ok", "queue": "error"}


def test_a_token_is_issued_for_valid_credentials_and_stored_hashed(client):
    user = factories.user(Role.RELAY)
    response = client.post("/api/v1/tokens", auth=(user.email.upper(), factories.PASSWORD))
    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == "relay" and len(body["token"]) >= 32
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert body["token"] not in stored.token_hash


@pytest.mark.parametrize(
    "credentials", [("nobody@example.org", "whatever-1234"), "wrong password", None]
)
def test_bad_credentials_get_one_generic_401(client, credentials):
    user = factories.user(Role.RELAY)
    if credentials == "wrong password":
        credentials = (user.email, "not the password")
    response = client.post("/api/v1/tokens", auth=credentials)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "Adresse e-mail ou mot de passe incorrect.",
            "fields": {},
        }
    }


def test_calls_without_a_valid_token_get_a_json_401(client):
    user = factories.user(Role.STAFF)
    token = client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD)).get_json()["token"]
    for header in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/communes?postal_code=06440", headers=header)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = client.get(
        "/api/v1/communes?postal_code=06440", headers={"Authorization": f"Bearer {token}"}
    )
    assert expired.status_code == 401


def test_the_api_never_reads_the_browser_session(client, auth):
    """A logged-in browser cannot call the API with its cookie: no CSRF through the API."""
    auth.login(factories.user(Role.STAFF))
    assert client.get("/equipe").status_code == 200
    assert client.get("/api/v1/communes?postal_code=06440").status_code == 401


def test_query_errors_are_422_with_fields(client, api_token):
    headers = api_token(factories.user(Role.RELAY))
    response = client.get("/api/v1/communes?postal_code=644&per_page=500", headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"postal_code", "per_page"}
    assert error["fields"]["postal_code"] == ["Un code postal a 5 chiffres."]


def test_unknown_api_paths_and_methods_are_json(client, api_token):
    assert client.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_the_openapi_document_describes_the_contract(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/health", "/api/v1/tokens", "/api/v1/communes"} <= set(document["paths"])
    assert "bearerAuth" in document["components"]["securitySchemes"]
    communes = document["paths"]["/api/v1/communes"]["get"]
    assert {p["name"] for p in communes["parameters"]} >= {"q", "postal_code", "page", "per_page"}
