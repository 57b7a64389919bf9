"""The demo: seeded logins reach their homes, and `equipbank demo` serves a working app."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from equipbank.demo.seed import DEMO_PASSWORD, LOGINS
from equipbank.devices.models import Device
from equipbank.extensions import db

HOMES = {
    "staff": "/equipe",
    "donor": "/donateur",
    "refurbisher": "/atelier",
    "relay": "/relais",
    "advisor": "/conseiller",
}


def test_seed_creates_every_login_and_devices_in_several_states(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    for login in LOGINS:
        assert login.email in result.output
        client.post("/login", data={"email": login.email, "password": DEMO_PASSWORD})
        home = client.get("/", follow_redirects=True)
        assert home.request.path == HOMES[login.role.value], login.email
        client.post("/logout")
    statuses = set(db.session.scalars(sa.select(Device.status)))
    assert {"received", "refurbishing", "ready", "reserved", "recycled"} <= statuses


def test_the_demo_tells_the_story_of_seed_000(runner):
    """The Pays des Paillons as its roadmap describes it: five people equipped, two at
    L'Escarène, one each at Berre-les-Alpes, Peille and Blausasc."""
    from equipbank.reports.communes import commune_query, commune_rows
    from equipbank.reports.period import EARLIEST

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    report = commune_query(EARLIEST, epci="240600593", with_zeros=True)
    rows = {row.name: row.equipped_beneficiaries for row in commune_rows(report)}
    assert len(rows) == 11
    assert {name: count for name, count in rows.items() if count} == {
        "L'Escarène": 2,
        "Berre-les-Alpes": 1,
        "Peille": 1,
        "Blausasc": 1,
    }


def test_seeding_twice_is_refused(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 1 and "déjà présentes" in again.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_demo(tmp_path):
    """`equipbank demo` exactly as the README runs it, on a fresh SQLite file."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}"}
    env.pop("EQUIPBANK_CONFIG", None)
    # Its throttle counters stay in its own memory, never in the suite's Redis (REDIS_URL).
    env["RATELIMIT_STORAGE_URI"] = "memory://"
    script = Path(sys.executable).with_name("equipbank")
    process = subprocess.Popen(
        [str(script), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read()) from None
            time.sleep(0.3)
    else:
        process.kill()
        raise AssertionError("the demo did not start within 90 s")
    yield base
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert "staff@demo.equipbank.fr" in output


def test_equipbank_demo_serves_the_app_and_every_login_works(served_demo):
    for login in LOGINS:
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = browser.open(f"{served_demo}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": token, "email": login.email, "password": DEMO_PASSWORD}
        ).encode()
        home = browser.open(f"{served_demo}/login", data=form)
        assert urllib.parse.urlsplit(home.url).path == HOMES[login.role.value], login.email
        assert "Se déconnecter" in home.read().decode()


def test_a_taken_port_is_said_before_any_set_up(tmp_path):
    database = tmp_path / "demo.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("EQUIPBANK_CONFIG", None)
    script = Path(sys.executable).with_name("equipbank")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [str(script), "demo", "--port", str(port)],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Le port {port} est déjà utilisé" in result.stderr
    assert f"--port {port + 1}" in result.stderr
    assert time.monotonic() - started < 10
    assert not database.exists()  # nothing was set up


def test_demo_reset_starts_again_from_the_original_demo(tmp_path, monkeypatch):
    from flask import Flask

    from equipbank import cli, config
    from equipbank.demo.seed import LOGINS

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    # The settings are read from the environment when equipbank.config is imported.
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", url)
    monkeypatch.setattr(config.Config, "REDIS_URL", None)
    monkeypatch.setattr(config.Config, "RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.delenv("EQUIPBANK_CONFIG", raising=False)
    served: list[int] = []
    monkeypatch.setattr(Flask, "run", lambda self, host, port, **_: served.append(port))
    port = free_port()
    cli.main(["demo", "--port", str(port)])
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        seeded = connection.execute(sa.text("SELECT count(*) FROM users")).scalar()
        connection.execute(
            sa.text("UPDATE users SET name = 'Changé' WHERE email = :e"), {"e": LOGINS[0].email}
        )
    cli.main(["demo", "--port", str(port), "--reset"])
    with engine.connect() as connection:
        names = connection.execute(sa.text("SELECT name FROM users")).scalars().all()
        users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar()
    engine.dispose()
    assert served == [port, port]
    assert "Changé" not in names
    assert users == seeded


def test_demo_reset_is_refused_in_production(monkeypatch):
    from equipbank import cli

    monkeypatch.setenv("EQUIPBANK_CONFIG", "production")
    with pytest.raises(SystemExit, match="refusé en production"):
        cli.main(["demo", "--port", str(free_port()), "--reset"])
