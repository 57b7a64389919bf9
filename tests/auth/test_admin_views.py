"""Admins create accounts (with a one-time link), edit, deactivate and reactivate them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from equipbank.auth.models import User
from equipbank.auth.services import authenticate
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories


def link_in(page: str) -> str:
    return re.search(r'id="set-password-link">([^<]+)<', page).group(1)


def test_a_new_account_gets_a_one_time_link_that_sets_its_password(client, admin, app):
    relay = factories.organisation("relay", name="Optimizen")
    response = client.post(
        "/admin/comptes/nouveau",
        data={
            "email": "Agent@Optimizen.fr",
            "name": "Agent Optimizen",
            "role": "relay",
            "organisation_id": relay.id,
        },
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    link = link_in(response.text)
    assert link.startswith("http://equipbank.test/set-password/")
    created = db.session.scalar(sa.select(User).where(User.email == "agent@optimizen.fr"))
    assert created.password_hash is None and created.organisation_id == relay.id

    path = link.removeprefix("http://equipbank.test")
    newcomer = app.test_client()
    assert "agent@optimizen.fr" in newcomer.get(path).text
    done = newcomer.post(
        path, data={"password": "une longue phrase", "confirm": "une longue phrase"}
    )
    assert done.status_code == 302
    assert newcomer.get(path).status_code == 404  # used: no second time
    db.session.expire_all()
    assert authenticate("agent@optimizen.fr", "une longue phrase").id == created.id


@pytest.mark.parametrize(
    ("role", "kind", "message"),
    [
        ("donor", "relay", "doit appartenir à une organisation de type"),
        ("staff", "donor", "doit appartenir à une organisation de type"),
    ],
)
def test_a_role_must_fit_the_organisation(client, admin, role, kind, message):
    organisation = factories.organisation(kind)
    response = client.post(
        "/admin/comptes/nouveau",
        data={
            "email": "x@example.org",
            "name": "X",
            "role": role,
            "organisation_id": organisation.id,
        },
    )
    assert response.status_code == 422 and "Organisation incompatible avec ce rôle" in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_an_email_already_used_is_refused(client, admin):
    existing = factories.user(Role.DONOR, email="deja@example.org")
    response = client.post(
        "/admin/comptes/nouveau",
        data={
            "email": "DEJA@example.org",
            "name": "Autre",
            "role": "donor",
            "organisation_id": existing.organisation_id,
        },
    )
    assert response.status_code == 422 and "Adresse déjà utilisée" in response.text


def test_admin_rights_are_for_staff_only(client, admin):
    donor_org = factories.organisation("donor")
    response = client.post(
        "/admin/comptes/nouveau",
        data={
            "email": "d@example.org",
            "name": "D",
            "role": "donor",
            "organisation_id": donor_org.id,
            "is_admin": "y",
        },
    )
    assert response.status_code == 422 and "Réservé au rôle" in response.text


def test_editing_changes_role_and_organisation_but_not_the_login(client, admin):
    user = factories.user(Role.RELAY)
    bank = admin.organisation
    response = client.post(
        f"/admin/comptes/{user.id}",
        data={
            "name": "Nouveau Nom",
            "role": "advisor",
            "organisation_id": bank.id,
            "email": "pirate@example.org",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.name, user.role, user.organisation_id) == ("Nouveau Nom", "advisor", bank.id)
    assert user.email != "pirate@example.org"


def test_deactivation_locks_out_and_revokes_api_tokens(client, admin, app):
    user = factories.user(Role.DONOR)
    api_client = app.test_client()
    token = api_client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD)).get_json()[
        "token"
    ]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api_client.get("/api/v1/communes?postal_code=06440", headers=bearer).status_code == 200
    assert client.post(f"/admin/comptes/{user.id}/desactiver").status_code == 302
    assert api_client.get("/api/v1/communes?postal_code=06440", headers=bearer).status_code == 401
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD) is None
    client.post(f"/admin/comptes/{user.id}/reactiver")
    db.session.expire_all()
    assert authenticate(user.email, factories.PASSWORD).id == user.id


def test_an_admin_cannot_lock_themselves_out(client, admin):
    page = client.post(f"/admin/comptes/{admin.id}/desactiver", follow_redirects=True)
    assert "votre propre compte" in page.text
    db.session.expire_all()
    assert db.session.get(User, admin.id).active is True


def test_a_new_link_can_be_issued_for_an_existing_account(client, admin):
    user = factories.user(Role.ADVISOR)
    response = client.post(f"/admin/comptes/{user.id}/lien")
    assert response.status_code == 200
    assert "/set-password/" in link_in(response.text)


def test_the_list_filters_by_role_and_organisation(client, admin):
    relay_user = factories.user(Role.RELAY, name="Sophie Relais")
    factories.user(Role.DONOR, name="Julien Donateur")
    by_role = client.get("/admin/comptes/?role=relay")
    assert "Sophie Relais" in by_role.text and "Julien Donateur" not in by_role.text
    by_org = client.get(f"/admin/comptes/?organisation={relay_user.organisation_id}")
    assert "Sophie Relais" in by_org.text and "Julien Donateur" not in by_org.text
    by_text = client.get("/admin/comptes/?q=julien")
    assert "Julien Donateur" in by_text.text and "Sophie Relais" not in by_text.text


@pytest.mark.parametrize("role", [Role.DONOR, Role.RELAY, Role.ADVISOR, Role.REFURBISHER])
def test_non_staff_cannot_reach_the_account_pages(client, auth, role):
    auth.login(factories.user(role))
    assert client.get("/admin/comptes/").status_code == 403
    assert client.post("/admin/comptes/nouveau", data={}).status_code == 403


def test_a_new_account_also_receives_its_link_by_email(client, admin, app, smtp_server, follow_job):
    relay = factories.organisation("relay", name="Carrefour des Paillons")
    follow_job(
        client.post(
            "/admin/comptes/nouveau",
            data={
                "email": "accueil@carrefour.example",
                "name": "Inès Accueil",
                "role": "relay",
                "organisation_id": relay.id,
            },
        )
    )
    if not smtp_server.messages:  # with Redis the job waits for a worker
        assert app.test_cli_runner().invoke(args=["rq", "worker", "--burst"]).exit_code == 0
    [welcome] = smtp_server.to("accueil@carrefour.example")
    link = re.search(
        r"http://equipbank\.test(/set-password/\S+)", welcome.get_body(("plain",)).get_content()
    ).group(1)
    newcomer = app.test_client()
    assert (
        newcomer.post(
            link, data={"password": "une longue phrase", "confirm": "une longue phrase"}
        ).status_code
        == 302
    )
