"""Absolute links (`equipbank.urls`): built on BASE_URL, never on the request's Host header,
which anyone can set: a set-password link sent to someone must lead to this app."""

from __future__ import annotations

import re

import pytest

from equipbank.codes import Role
from equipbank.config import DEVELOPMENT_BASE_URL, DevelopmentConfig
from equipbank.urls import external_url
from tests import factories


def test_a_set_password_link_never_follows_the_host_header(client):
    admin = factories.user(Role.STAFF, is_admin=True)
    user = factories.user(Role.ADVISOR)
    evil = "http://evil.example"
    client.post(
        "/login", data={"email": admin.email, "password": factories.PASSWORD}, base_url=evil
    )
    response = client.post(f"/admin/comptes/{user.id}/lien", base_url=evil)
    assert response.status_code == 200
    link = re.search(r'id="set-password-link">([^<]+)<', response.text).group(1)
    assert link.startswith("http://equipbank.test/set-password/")


def test_without_base_url_no_absolute_link_is_guessed(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", None)
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        with pytest.raises(RuntimeError, match="BASE_URL"):
            external_url("auth.login")


def test_development_has_a_base_url_of_its_own(tmp_path, monkeypatch):
    class Stub:
        instance_path = str(tmp_path)
        config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "BASE_URL": None}

    DevelopmentConfig.resolve(Stub)
    assert Stub.config["BASE_URL"] == DEVELOPMENT_BASE_URL
