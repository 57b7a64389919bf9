"""Throttling (issue 10): wrong passwords, registrations and duplicate checks are counted.

Limits are on in the whole suite, with this run's counters reset around each test
(`_fresh_throttle_counters` in conftest); the numbers come from the app's settings.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
from limits import parse

from equipbank import create_app, throttle
from equipbank.auth.services import make_set_password_token
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories

WRONG = "not the password"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}


def allowed(app, setting: str) -> int:
    return parse(app.config[setting]).amount


def window(app, setting: str) -> int:
    return parse(app.config[setting]).get_expiry()


def login(client, email: str, password: str, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def assert_throttled(response, app, setting: str) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= window(app, setting)
    text = response.get_json()["error"]["message"] if response.is_json else response.text
    assert "réessayez dans" in text


def test_the_right_password_is_refused_after_too_many_wrong_ones_on_the_login_page(app, client):
    user = factories.user(Role.STAFF)
    failures = allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")
    for _ in range(failures):
        refused = login(client, user.email, WRONG)
        assert refused.status_code == 200 and "mot de passe incorrect" in refused.text
    right = login(client, user.email, factories.PASSWORD)
    assert_throttled(right, app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")
    assert "Trop de tentatives de connexion" in right.text and "Erreur 429" in right.text
    assert client.get("/").status_code == 302  # not logged in: sent to the login page
    # Typed differently, the same account is the same counter.
    assert login(client, f"  {user.email.upper()} ", factories.PASSWORD).status_code == 429


def test_the_right_password_is_refused_after_too_many_wrong_ones_for_an_api_token(app, client):
    user = factories.user(Role.RELAY)
    for _ in range(allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")):
        refused = client.post("/api/v1/tokens", auth=(user.email, WRONG))
        assert refused.status_code == 401
    right = client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD))
    assert_throttled(right, app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")
    error = right.get_json()["error"]
    assert error["code"] == "too_many_requests" and error["fields"] == {}
    assert error["message"].startswith("Trop de tentatives de connexion.")


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(app, client):
    known = factories.user(Role.STAFF)
    answers = {}
    for email in (known.email, "nobody@example.org"):
        for _ in range(allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")):
            assert login(client, email, WRONG).status_code == 200
        page = login(client, email, WRONG)
        token = client.post("/api/v1/tokens", auth=(email, WRONG))
        answers[email] = (page.status_code, page.text, token.status_code, token.get_json())
    assert answers[known.email] == answers["nobody@example.org"]
    assert answers[known.email][0] == 429


def test_the_login_page_and_the_api_count_the_same_failures(app, client):
    user = factories.user(Role.RELAY)
    failures = allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")
    for attempt in range(failures):
        if attempt % 2:
            assert client.post("/api/v1/tokens", auth=(user.email, WRONG)).status_code == 401
        else:
            assert login(client, user.email, WRONG).status_code == 200
    assert client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD)).status_code == 429
    assert login(client, user.email, factories.PASSWORD).status_code == 429


def test_only_failures_count_and_only_against_the_account_typed(app, client):
    user = factories.user(Role.STAFF)
    colleague = factories.user(Role.STAFF)
    failures = allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")
    for _ in range(failures + 2):  # successful logins are not failures
        assert login(client, user.email, factories.PASSWORD).status_code == 302
        client.post("/logout")
    for _ in range(failures - 1):
        assert login(client, user.email, WRONG).status_code == 200
    assert login(client, user.email, factories.PASSWORD).status_code == 302  # one left
    client.post("/logout")
    assert login(client, user.email, WRONG).status_code == 200
    assert login(client, user.email, factories.PASSWORD).status_code == 429
    # Another account, from the same address, is not locked by the first one's failures.
    assert login(client, colleague.email, factories.PASSWORD).status_code == 302


def test_attempts_from_one_address_are_limited_whatever_the_accounts(app, client):
    user = factories.user(Role.STAFF)
    attempts = allowed(app, "THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS")
    for number in range(attempts):
        assert login(client, f"guess-{number}@example.org", WRONG).status_code == 200
    refused = client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD))
    assert_throttled(refused, app, "THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS")
    assert_throttled(
        login(client, user.email, factories.PASSWORD), app, "THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS"
    )
    # The same account from another address: its password was never refused.
    assert login(client, user.email, factories.PASSWORD, environ_base=ELSEWHERE).status_code == 302


def test_the_account_opens_again_when_the_window_has_passed(app):
    user = factories.user(Role.STAFF)
    short = another_app(app, THROTTLE_LOGIN_FAILURES_PER_ACCOUNT="2 per 2 seconds")
    try:
        with short.test_client() as client:
            for _ in range(2):
                assert login(client, user.email, WRONG).status_code == 200
            assert login(client, user.email, factories.PASSWORD).status_code == 429
            time.sleep(2.1)
            assert login(client, user.email, factories.PASSWORD).status_code == 302
    finally:
        dispose(short)


def test_a_set_password_link_is_throttled_per_address(app, client):
    staff = factories.user(Role.STAFF)
    token = make_set_password_token(staff)
    for _ in range(allowed(app, "THROTTLE_SET_PASSWORD_PER_ADDRESS")):
        short = client.post(
            f"/set-password/{token}", data={"password": "court", "confirm": "court"}
        )
        assert "Au moins 10 caractères" in short.text
    good = {"password": "une phrase longue", "confirm": "une phrase longue"}
    refused = client.post(f"/set-password/{token}", data=good)
    assert_throttled(refused, app, "THROTTLE_SET_PASSWORD_PER_ADDRESS")
    assert "Trop d&#39;essais de mot de passe" in refused.text
    assert client.get(f"/set-password/{token}").status_code == 200  # the page itself still opens
    assert (
        client.post(f"/set-password/{token}", data=good, environ_base=ELSEWHERE).status_code == 302
    )


def test_donor_registrations_are_throttled_per_address_but_adding_a_line_is_not(app, client):
    empty = {"company_name": "Boulangerie du Port"}
    limit = allowed(app, "THROTTLE_REGISTRATIONS_PER_ADDRESS")
    for _ in range(limit + 2):
        added = client.post("/dons/devenir-donateur", data={**empty, "add_line": "1"})
        assert added.status_code == 200
    for _ in range(limit):
        assert client.post("/dons/devenir-donateur", data=empty).status_code == 422
    refused = client.post("/dons/devenir-donateur", data=empty)
    assert_throttled(refused, app, "THROTTLE_REGISTRATIONS_PER_ADDRESS")
    assert "Trop d&#39;inscriptions" in refused.text
    assert client.get("/dons/devenir-donateur").status_code == 200
    assert (
        client.post("/dons/devenir-donateur", data=empty, environ_base=ELSEWHERE).status_code == 422
    )


PERSON = {
    "first_name": "Jean",
    "last_name": "Dupont",
    "birth_year": "1949",
    "postal_code": "06440",
    "commune_code": "06057",
    "category": "senior_isolated",
    "consent": "y",
}


def test_possible_duplicate_checks_are_throttled_per_account(app, client, auth, api_token):
    relay_user = factories.user(Role.RELAY)
    colleague = factories.user(Role.RELAY, organisation_=relay_user.organisation)
    colleague_headers = api_token(colleague)
    headers = api_token(relay_user)
    auth.login(relay_user)
    assert client.post("/beneficiaires/nouveau", data=PERSON).status_code == 302
    refusals = allowed(app, "THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT")
    for number in range(refusals - 1):
        twice = client.post("/beneficiaires/nouveau", data=PERSON)
        assert twice.status_code == 422 and "peut-être déjà enregistrée" in twice.text
        # Registering someone new is not a refusal: it does not count.
        other = {**PERSON, "last_name": f"Dupont-{in_letters(number)}"}
        assert client.post("/beneficiaires/nouveau", data=other).status_code == 302
    body = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "birth_year": 1949,
        "commune": "06057",
        "category": "senior_isolated",
        "consent": True,
    }
    last = client.post("/api/v1/beneficiaries", json=body, headers=headers)
    assert last.status_code == 409  # the API shares the counter with the pages
    refused = client.post("/beneficiaires/nouveau", data=PERSON)
    assert_throttled(refused, app, "THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT")
    assert "doublons possibles" in refused.text
    api_refused = client.post("/api/v1/beneficiaries", json=body, headers=headers)
    assert_throttled(api_refused, app, "THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT")
    assert api_refused.get_json()["error"]["code"] == "too_many_requests"
    # A colleague of the same relay has a counter of their own.
    colleague_check = client.post("/api/v1/beneficiaries", json=body, headers=colleague_headers)
    assert colleague_check.status_code == 409


def test_redis_down_does_not_stop_logins_and_failures_are_still_counted(app, caplog):
    user = factories.user(Role.STAFF)
    down = another_app(app, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/5")
    try:
        with caplog.at_level(logging.WARNING), down.test_client() as client:
            assert login(client, user.email, factories.PASSWORD).status_code == 302
            client.post("/logout")
            for _ in range(allowed(app, "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT")):
                assert login(client, user.email, WRONG).status_code == 200
            assert_throttled(
                login(client, user.email, factories.PASSWORD),
                app,
                "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT",
            )
            token = client.post("/api/v1/tokens", auth=(user.email, factories.PASSWORD))
            assert token.status_code == 429 and token.get_json()["error"]["code"] == (
                "too_many_requests"
            )
        assert "falling back to in-memory storage" in caplog.text
    finally:
        dispose(down)


@pytest.mark.parametrize("setting", throttle.LIMIT_SETTINGS)
def test_a_mistyped_limit_stops_the_app_at_start(app, setting):
    with pytest.raises(ValueError):
        another_app(app, **{setting: "five a minute"})


class ReadSettings(dict):
    """App settings that remember which of them were read."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.read: set[str] = set()

    def __getitem__(self, name: str):
        self.read.add(name)
        return super().__getitem__(name)


def test_the_limits_checked_at_start_are_the_ones_the_policies_use(app):
    """A limit added to a policy under another name than THROTTLE_* would escape the check
    at start; a THROTTLE_* limit no policy uses would be a setting that does nothing."""
    settings = ReadSettings(app.config)
    throttle._policies(app.extensions["throttle"], settings)
    assert settings.read == set(throttle.LIMIT_SETTINGS)


def another_app(app, **settings):
    """An app on the suite's database with other throttle settings (its own limiter)."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            **settings,
        }
    )


def dispose(other) -> None:
    limiter = other.extensions["throttle"]
    if limiter.storage.check():  # nothing to clear in a Redis that is down
        limiter.reset()
    with other.app_context():
        db.engine.dispose()


def in_letters(number: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": names differ by letters (digits are not compared)."""
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters = chr(ord("a") + rest) + letters
        if not number:
            return letters


def closed_port() -> int:
    """A local port nothing listens on: Redis "down", refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
