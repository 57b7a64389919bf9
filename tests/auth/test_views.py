"""Logging in and out, the per-role homes, and the guard in front of every page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from equipbank import create_app
from equipbank.audit.models import AuditEvent
from equipbank.auth.permissions import access_of
from equipbank.auth.services import (
    authenticate,
    make_set_password_token,
    user_from_set_password_token,
)
from equipbank.codes import Role
from equipbank.config import DevelopmentConfig, ProductionConfig
from equipbank.extensions import db
from tests import factories

HOMES = {
    Role.STAFF: ("/equipe", "Tableau de bord"),
    Role.DONOR: ("/donateur", "Espace donateur"),
    Role.REFURBISHER: ("/atelier", "Atelier"),
    Role.RELAY: ("/relais", "Espace relais"),
    Role.ADVISOR: ("/conseiller", "Mon agenda"),
}


def test_the_login_page_is_in_french(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Connexion" in page.text and "Mot de passe" in page.text
    assert '="None"' not in page.text  # no aria-describedby pointing nowhere


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(client, auth, role):
    user = factories.user(role)
    response = auth.login(user)
    assert response.status_code == 302
    home = client.get("/", follow_redirects=True)
    path, title = HOMES[role]
    assert home.request.path == path
    assert title in home.text and user.name in home.text


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, auth):
    user = factories.user(Role.RELAY)
    wrong_password = auth.login(user, password="not the password")
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": "whatever1234"}
    )
    for response in (wrong_password, unknown):
        assert response.status_code == 200
        assert "Adresse e-mail ou mot de passe incorrect." in response.text
    assert client.get("/equipe").status_code == 302  # still anonymous


def test_email_is_case_insensitive(client):
    user = factories.user(Role.DONOR, email="Claire.Dupont@Example.org")
    assert user.email == "claire.dupont@example.org"
    response = client.post(
        "/login", data={"email": "  CLAIRE.DUPONT@example.ORG ", "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def test_passwords_are_stored_hashed():
    user = factories.user(Role.DONOR)
    assert factories.PASSWORD not in user.password_hash
    assert authenticate(user.email, factories.PASSWORD) == user


def test_a_deactivated_account_or_organisation_cannot_log_in(client, auth):
    user = factories.user(Role.RELAY)
    user.active = False
    db.session.commit()
    assert "incorrect" in auth.login(user).text

    other = factories.user(Role.RELAY)
    other.organisation.is_active = False
    db.session.commit()
    assert "incorrect" in auth.login(other).text


def test_a_session_ends_when_the_account_is_deactivated(client, auth):
    user = factories.user(Role.DONOR)
    auth.login(user)
    assert client.get("/donateur").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/donateur").status_code == 302


def test_logout_is_a_post(client, auth):
    auth.login(factories.user(Role.STAFF))
    refused = client.get("/logout")
    assert refused.status_code == 405
    assert "Action non autorisée" in refused.text
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/equipe").status_code == 302


def test_anonymous_visitors_are_sent_to_login_and_back(client):
    response = client.get("/equipe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/equipe")
    user = factories.user(Role.STAFF)
    back = client.post(
        "/login?next=/equipe", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert back.headers["Location"] == "/equipe"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(client, target):
    user = factories.user(Role.STAFF)
    response = client.post(
        f"/login?next={target}", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("role", [Role.DONOR, Role.RELAY, Role.ADVISOR, Role.REFURBISHER])
def test_other_roles_get_a_french_403_on_the_staff_home(client, auth, role):
    auth.login(factories.user(role))
    response = client.get("/equipe")
    assert response.status_code == 403
    assert "Accès refusé" in response.text


def test_unknown_pages_get_a_french_404_and_api_paths_json(client):
    page = client.get("/nulle-part")
    assert page.status_code == 404 and "Page introuvable" in page.text
    api = client.get("/api/v1/nulle-part")
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"


def test_every_endpoint_declares_who_may_open_it(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules() if access_of(rule.endpoint) is None
    ]
    assert undeclared == []


def test_an_endpoint_without_a_declaration_is_refused(app):
    """The guard fails closed: a view someone forgot to decorate is not reachable."""
    fresh = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    fresh.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    with fresh.test_client() as client:
        assert client.get("/forgotten").status_code == 302  # to the login page
    with fresh.app_context():
        db.engine.dispose()


def test_session_cookie_flags(client):
    user = factories.user(Role.STAFF)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False  # the demo runs on plain http


def test_forms_without_a_csrf_token_are_refused(app):
    strict = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    with strict.test_client() as client:
        response = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
        assert response.status_code == 400
        assert "rechargez la page" in response.text
    with strict.app_context():
        db.engine.dispose()


def test_logins_are_audited_without_personal_data(client, auth):
    user = factories.user(Role.RELAY)
    auth.login(user)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.login"))
    assert event.actor_id == user.id and event.ip == "127.0.0.1"
    assert user.email not in str(event.summary)


def test_a_set_password_link_works_once(client):
    staff = factories.user(Role.STAFF)
    token = make_set_password_token(staff)
    assert user_from_set_password_token(token) == staff
    response = client.post(
        f"/set-password/{token}",
        data={"password": "une phrase longue", "confirm": "une phrase longue"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert authenticate(staff.email, "une phrase longue") == staff
    again = client.get(f"/set-password/{token}")
    assert again.status_code == 404 and "plus valable" in again.text


def test_a_short_password_is_refused_with_a_message(client):
    staff = factories.user(Role.STAFF)
    token = make_set_password_token(staff)
    response = client.post(f"/set-password/{token}", data={"password": "court", "confirm": "court"})
    assert "Au moins 10 caractères" in response.text
    assert authenticate(staff.email, factories.PASSWORD) == staff


def test_the_relay_home_counts_the_devices_reserved_for_it(client, runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    client.post("/login", data={"email": "relay@demo.equipbank.fr", "password": "equipbank-demo"})
    page = client.get("/relais").text
    reserved_block = page[: page.index("Réservé")]
    assert '<span class="value">1</span>' in reserved_block[-120:]
    client.post("/logout")
    client.post("/login", data={"email": "relay2@demo.equipbank.fr", "password": "equipbank-demo"})
    page = client.get("/relais").text
    assert '<span class="value">1</span>' not in page  # nothing is reserved for Pimms


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example"])
def test_login_never_redirects_through_a_backslash(client, target):
    user = factories.user(Role.STAFF)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/"
