"""A forgotten password (issue 13, 16): the person asks a link by email, the answer never
tells whether the address has an account, the link is one-time and short-lived, the new
password follows the same rules, and every session of the account ends."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from equipbank.audit.models import AuditEvent
from equipbank.auth import services
from equipbank.auth.models import ApiToken
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories
from tests.auth.test_security import deliver, link_in, signed_in
from tests.conftest import AuthActions

NEW_PASSWORD = "une autre phrase bien longue"
SENT = "Si un compte existe à cette adresse"


def ask(client, email: str, **kwargs):
    return client.post("/mot-de-passe-oublie", data={"email": email}, **kwargs)


def test_the_login_page_leads_to_the_forgotten_password_page(client):
    login = client.get("/login")
    assert 'href="/mot-de-passe-oublie"' in login.text and "Mot de passe oublié ?" in login.text
    page = client.get("/mot-de-passe-oublie")
    assert page.status_code == 200 and "Adresse e-mail" in page.text


def test_a_forgotten_password_is_replaced_through_a_one_time_link(
    app, client, runner, smtp_server, api_token
):
    user = factories.user(Role.RELAY, email="ines@relais.example")
    elsewhere = app.test_client()  # a browser where the person is still signed in
    AuthActions(elsewhere).login(user)
    token = api_token(user)
    answer = ask(client, "Ines@Relais.example ", follow_redirects=True)
    assert answer.request.path == "/login" and SENT in answer.text
    deliver(runner)
    (message,) = smtp_server.to(user.email)
    assert message["Subject"].startswith("Choisir un nouveau mot de passe")
    link = link_in(message, "/mot-de-passe-oublie")
    body = message.get_body(("plain",)).get_content()
    assert "1 heure" in body and "une seule fois" in body

    page = client.get(link)
    assert page.status_code == 200 and user.email in page.text
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    db.session.expire_all()
    assert services.authenticate(user.email, NEW_PASSWORD) == user
    assert services.authenticate(user.email, factories.PASSWORD) is None
    # Every session and token of the account ends: whoever had the old password is out.
    assert not signed_in(elsewhere)
    assert client.get("/api/v1/tokens", headers=token).status_code == 401
    assert db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id)).revoked_at
    # The link worked once.
    again = client.get(link)
    assert again.status_code == 404 and "plus valable" in again.text
    assert client.post(link, data={"password": "encore une phrase longue"}).status_code == 404
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.subject_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )
    assert "user.request_password_reset" in actions
    assert actions.index("user.request_password_reset") < actions.index("user.reset_password")
    assert "user.revoke_sessions" in actions[actions.index("user.request_password_reset") :]


def test_the_answer_is_the_same_for_any_address_and_only_an_account_gets_mail(
    app, client, runner, smtp_server
):
    known = factories.user(Role.DONOR, email="compta@entreprise.example")
    gone = factories.user(Role.DONOR, email="parti@entreprise.example")
    gone.active = False
    db.session.commit()
    said = set()
    for email in (known.email, "personne@entreprise.example", gone.email):
        answer = ask(app.test_client(), email, follow_redirects=True)
        assert [step.status_code for step in answer.history] == [302]
        assert answer.request.path == "/login"
        start = answer.text.index('<div class="flashes">')
        said.add(answer.text[start : answer.text.index("</div>", start)])
    assert len(said) == 1 and SENT in said.pop()
    deliver(runner)
    assert [m["To"] for m in smtp_server.messages] == [known.email]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "user.request_password_reset")
        )
        == 1
    )


def test_a_link_is_short_lived_and_a_later_one_or_a_new_password_ends_it(client, monkeypatch):
    user = factories.user(Role.ADVISOR)
    max_age = client.application.config["PASSWORD_RESET_LINK_MAX_AGE"]
    assert max_age <= 3600
    now = time.time()
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: now - max_age - 5)
        old = services.make_password_reset_token(user)
    assert client.get(f"/mot-de-passe-oublie/{old}").status_code == 404

    first = services.make_password_reset_token(user)
    second = services.make_password_reset_token(user)
    assert (
        client.post(
            f"/mot-de-passe-oublie/{second}",
            data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ).status_code
        == 302
    )
    assert client.get(f"/mot-de-passe-oublie/{first}").status_code == 404


def test_a_reset_link_and_a_set_password_link_are_not_interchangeable(client):
    user = factories.user(Role.STAFF)
    assert (
        client.get(f"/set-password/{services.make_password_reset_token(user)}").status_code == 404
    )
    assert (
        client.get(f"/mot-de-passe-oublie/{services.make_set_password_token(user)}").status_code
        == 404
    )
    assert client.get("/mot-de-passe-oublie/not-a-token").status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [("court", "Au moins 10 caractères"), ("azertyuiop1", "trop facile à deviner")],
)
def test_the_new_password_follows_the_usual_rules(client, password, message):
    user = factories.user(Role.RELAY)
    link = f"/mot-de-passe-oublie/{services.make_password_reset_token(user)}"
    refused = client.post(link, data={"password": password, "confirm": password})
    assert refused.status_code == 422 and message in refused.text
    db.session.expire_all()
    assert services.authenticate(user.email, factories.PASSWORD) == user
    assert client.get(link).status_code == 200  # still usable: nothing was changed


def test_requests_are_throttled_per_address_typed_and_per_client_address(app, client):
    from tests.test_throttle import ELSEWHERE, allowed, assert_throttled

    factories.user(Role.RELAY, email="cible@relais.example")
    for email in ("cible@relais.example", "inconnu@relais.example"):
        for _ in range(allowed(app, "THROTTLE_PASSWORD_RESETS_PER_ACCOUNT")):
            assert ask(client, email).status_code == 302
        # The same answer whether the address has an account or not.
        refused = ask(app.test_client(), email, environ_base=ELSEWHERE)
        assert_throttled(refused, app, "THROTTLE_PASSWORD_RESETS_PER_ACCOUNT")
    per_address = allowed(app, "THROTTLE_PASSWORD_RESETS_PER_ADDRESS")
    used = 2 * allowed(app, "THROTTLE_PASSWORD_RESETS_PER_ACCOUNT")
    for index in range(per_address - used):
        assert ask(client, f"autre{index}@relais.example").status_code == 302
    assert_throttled(
        ask(client, "encore@relais.example"), app, "THROTTLE_PASSWORD_RESETS_PER_ADDRESS"
    )
