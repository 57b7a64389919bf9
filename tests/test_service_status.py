"""/admin/etat: the health figures in French, for the staff only."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories


def test_staff_see_the_service_status_from_their_navigation(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    auth.login(factories.user(Role.STAFF))
    home = client.get("/equipe").get_data(as_text=True)
    assert 'href="/admin/etat"' in home
    response = client.get("/admin/etat")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "État du service" in page
    assert "Tout fonctionne" in page
    assert "Base de données" in page and "Rappels non envoyés" in page


def test_the_page_says_when_redis_is_down(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    auth.login(factories.user(Role.STAFF))
    page = client.get("/admin/etat").get_data(as_text=True)
    assert "Une partie indispensable est en panne" in page
    assert "en panne" in page


@pytest.mark.parametrize("role", [Role.DONOR, Role.REFURBISHER, Role.RELAY, Role.ADVISOR])
def test_other_roles_are_refused(client, auth, role):
    auth.login(factories.user(role))
    assert client.get("/admin/etat").status_code == 403
