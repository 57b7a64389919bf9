"""Sessions that can be revoked, registration without an oracle, strong passwords, two-factor."""

from __future__ import annotations

import os
import re

import pyotp
import pytest
import sqlalchemy as sa

from equipbank.auth import services, twofactor
from equipbank.auth.models import ApiToken, User
from equipbank.codes import Role
from equipbank.config import ProductionConfig
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from tests import factories
from tests.donations.test_views import line

COMPANY = {
    "company_name": "Boulangerie du Port",
    "siret": "732 829 320 00074",
    "company_address": "3 quai Lunel",
    "postal_code": "06300",
    "commune_code": "06088",
    "contact_name": "Marie Blanc",
    "email": "marie@boulangerie.example",
    "password": "une phrase assez longue",
    "confirm": "une phrase assez longue",
    **line(0, category="desktop", quantity="2"),
}


def deliver(runner) -> None:
    """With Redis, the emails queued after the commit go out when a worker runs the queue."""
    if os.environ.get("REDIS_URL"):
        result = runner.invoke(args=["rq", "worker", "--burst"])
        assert result.exit_code == 0, result.output


def link_in(message, path: str) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(rf"http://equipbank\.test({path}/\S+)", body).group(1)


def copy_of(client, app):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/compte").status_code == 200


# Sessions and tokens ---------------------------------------------------------------------


def test_a_cookie_copied_before_logout_is_worthless_after(client, auth, app):
    user = factories.user(Role.RELAY)
    auth.login(user)
    thief = copy_of(client, app)
    assert signed_in(thief)  # the copy works while the session is open
    auth.logout()
    assert not signed_in(client) and not signed_in(thief)


def test_a_new_password_kills_old_cookies_and_tokens(client, auth, app, api_token):
    user = factories.user(Role.RELAY)
    auth.login(user)
    headers = api_token(user)
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    newcomer = app.test_client()
    token = services.make_set_password_token(user)
    done = newcomer.post(
        f"/set-password/{token}",
        data={"password": "un tout autre mot de passe", "confirm": "un tout autre mot de passe"},
    )
    assert done.status_code == 302
    assert not signed_in(client)
    assert client.get("/api/v1/requests", headers=headers).status_code == 401


def test_reactivating_an_account_does_not_revive_its_old_cookies(client, auth, app):
    user = factories.user(Role.RELAY)
    auth.login(user)
    admin = factories.user(Role.STAFF, is_admin=True)
    services.set_user_active(user, False, actor=admin)
    services.set_user_active(user, True, actor=admin)
    db.session.commit()
    assert not signed_in(client)
    assert auth.login(user).status_code == 302 and signed_in(client)


def test_signing_out_everywhere_closes_every_browser_and_token(client, auth, app, api_token):
    user = factories.user(Role.ADVISOR)
    auth.login(user)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    headers = api_token(user)
    assert client.post("/compte/deconnexion-partout").status_code == 302
    assert not signed_in(client) and not signed_in(other)
    assert client.get("/api/v1/appointments", headers=headers).status_code == 401


def test_tokens_are_listed_and_revoked_by_their_owner_and_by_admins(client, auth, app, api_token):
    user = factories.user(Role.RELAY)
    first, second = api_token(user), api_token(user)
    client.get("/api/v1/requests", headers=first)
    listed = client.get("/api/v1/tokens", headers=first).get_json()
    assert len(listed) == 2 and all(item["valid"] for item in listed)
    assert any(item["last_used_at"] for item in listed) and "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=first).status_code == 204
    assert client.get("/api/v1/requests", headers=second).status_code == 401

    stranger = factories.user(Role.RELAY)
    assert (
        client.delete(f"/api/v1/tokens/{listed[1]['id']}", headers=api_token(stranger)).status_code
        == 404
    )
    admin = factories.user(Role.STAFF, is_admin=True)
    auth.login(admin)
    page = client.get(f"/admin/comptes/{user.id}")
    assert "Jetons d'API" in page.text and "Révoquer" in page.text
    client.post(f"/admin/comptes/{user.id}/jetons/{listed[1]['id']}/revoquer")
    assert client.get("/api/v1/requests", headers=first).status_code == 401
    db.session.expire_all()
    assert all(
        row.revoked_at for row in db.session.scalars(sa.select(ApiToken)) if row.user_id == user.id
    )


# Registration ------------------------------------------------------------------------------


def test_registration_answers_the_same_for_a_known_and_an_unknown_email(
    client, app, runner, smtp_server
):
    known = factories.user(Role.RELAY, email="deja@inscrit.example")
    new = client.post("/dons/devenir-donateur", data=COMPANY)
    again = app.test_client().post(
        "/dons/devenir-donateur",
        data={**COMPANY, "siret": "552 100 554 00013", "email": known.email.upper()},
    )
    assert new.status_code == again.status_code == 302
    assert new.headers["Location"] == again.headers["Location"]
    assert (
        client.get(new.headers["Location"]).text
        == app.test_client().get(again.headers["Location"]).text
    )
    deliver(runner)
    assert [m["Subject"].startswith("Confirmez") for m in smtp_server.to(COMPANY["email"])] == [
        True
    ]
    assert [m["Subject"].startswith("Inscription") for m in smtp_server.to(known.email)] == [True]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_a_self_registered_account_signs_in_once_its_address_is_confirmed(
    client, runner, smtp_server
):
    client.post("/dons/devenir-donateur", data=COMPANY)
    credentials = {"email": COMPANY["email"], "password": COMPANY["password"]}
    refused = client.post("/login", data=credentials, follow_redirects=True)
    assert "abord votre adresse e-mail" in refused.text and not signed_in(client)
    assert (
        client.post("/api/v1/tokens", auth=(COMPANY["email"], COMPANY["password"])).status_code
        == 401
    )
    deliver(runner)
    (message,) = smtp_server.to(COMPANY["email"])
    confirmed = client.get(link_in(message, "/confirmer"), follow_redirects=True)
    assert "Votre adresse est confirmée" in confirmed.text
    assert client.post("/login", data=credentials).status_code == 302 and signed_in(client)


def test_a_wrong_confirmation_link_is_refused(client):
    assert client.get("/confirmer/not-a-token").status_code == 404


# Passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaa", "azertyuiop12", "motdepasse123", "1234567890", "marieblanc2024"],
)
def test_guessable_passwords_are_refused(password):
    with pytest.raises(ValidationFailed, match="trop facile à deviner"):
        services.check_password_strength(
            password, email="marie@boulangerie.example", name="Marie Blanc"
        )


def test_a_long_phrase_is_accepted():
    services.check_password_strength("un vélo rouge sous la pluie", email="a@b.example", name="A B")


def test_the_set_password_page_refuses_a_weak_password(client):
    user = factories.user(Role.RELAY)
    token = services.make_set_password_token(user)
    page = client.post(
        f"/set-password/{token}", data={"password": "aaaaaaaaaa", "confirm": "aaaaaaaaaa"}
    )
    assert page.status_code == 422 and "trop facile à deviner" in page.text


# Two-factor -------------------------------------------------------------------------------------


def test_production_requires_a_second_factor_for_staff():
    assert "staff" in ProductionConfig.TOTP_REQUIRED_ROLES


@pytest.fixture
def totp_for_staff(app, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ("staff",))


def enrolled(user) -> pyotp.TOTP:
    secret = twofactor.start_enrolment(user)
    twofactor.enable(user, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # the enrolment's code is not the one the test signs in with
    db.session.commit()
    return pyotp.TOTP(secret)


def test_a_staff_login_asks_to_enrol_then_for_the_code(client, totp_for_staff):
    staff = factories.user(Role.STAFF)
    login = client.post("/login", data={"email": staff.email, "password": factories.PASSWORD})
    assert login.headers["Location"] == "/compte/double-authentification"
    page = client.get("/compte/double-authentification")
    assert "<svg" in page.text and not signed_in(client)
    assert page.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    secret = db.session.get(User, staff.id).totp_secret
    assert secret in page.text
    done = client.post("/compte/double-authentification", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "codes de secours" in done.text
    assert signed_in(client)
    client.post("/logout")

    again = client.post("/login", data={"email": staff.email, "password": factories.PASSWORD})
    assert again.headers["Location"] == "/login/code" and not signed_in(client)
    wrong = client.post("/login/code", data={"code": "000000"})
    assert wrong.status_code == 422 and not signed_in(client)


def test_a_code_works_once_and_a_recovery_code_once(client):
    user = factories.user(Role.ADVISOR)
    totp = enrolled(user)
    codes = twofactor._new_recovery_codes(user)
    db.session.commit()
    credentials = {"email": user.email, "password": factories.PASSWORD}
    code = totp.now()
    client.post("/login", data=credentials)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    client.post("/logout")
    client.post("/login", data=credentials)
    assert client.post("/login/code", data={"code": code}).status_code == 422  # replayed
    assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    client.post("/logout")
    client.post("/login", data=credentials)
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 422


def test_the_api_asks_a_two_factor_account_for_its_code(client):
    user = factories.user(Role.RELAY)
    totp = enrolled(user)
    basic = (user.email, factories.PASSWORD)
    refused = client.post("/api/v1/tokens", auth=basic)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "otp_required"
    granted = client.post("/api/v1/tokens", auth=basic, headers={"X-TOTP-Code": totp.now()})
    assert granted.status_code == 201


def test_an_admin_resets_a_lost_second_factor(client, auth):
    user = factories.user(Role.RELAY)
    enrolled(user)
    admin = factories.user(Role.STAFF, is_admin=True)
    auth.login(admin)
    client.post(f"/admin/comptes/{user.id}/double-authentification")
    db.session.expire_all()
    assert not db.session.get(User, user.id).uses_totp


def test_two_factor_codes_are_throttled_per_account(client, app):
    user = factories.user(Role.ADVISOR)
    totp = enrolled(user)
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    failures = int(app.config["THROTTLE_SECOND_FACTOR_FAILURES"].split()[0])
    for _ in range(failures):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 422
    refused = client.post("/login/code", data={"code": totp.now()})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert not signed_in(client)


def test_confirmation_links_are_throttled_per_address(client, app):
    requests = int(app.config["THROTTLE_REGISTRATIONS_PER_ADDRESS"].split()[0])
    for _ in range(requests):
        assert client.post("/confirmer", data={"email": "x@example.org"}).status_code == 302
    assert client.post("/confirmer", data={"email": "x@example.org"}).status_code == 429


def test_the_password_alone_cannot_enrol_a_new_app_over_the_one_in_use(client):
    user = factories.user(Role.ADVISOR)
    totp = enrolled(user)
    secret = totp.secret
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.get("/compte/double-authentification")
    assert response.headers["Location"] == "/login/code" and not signed_in(client)
    db.session.expire_all()
    kept = db.session.get(User, user.id)
    assert kept.uses_totp and kept.totp_secret == secret
    assert client.post("/login/code", data={"code": totp.now()}).status_code == 302
    assert client.get("/compte/double-authentification").headers["Location"] == "/compte"
