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

from equipbank.demo import settings as demo_settings
from equipbank.demo.seed import DEMO_PASSWORD, LOGINS
from equipbank.devices.models import Device
from equipbank.extensions import db
from tests.pdfs import pdf_text

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


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    """`equipbank demo` exactly as the README runs it, on a fresh SQLite file; one server
    for the tests of this module, which only read."""
    port = free_port()
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("EQUIPBANK_CONFIG", None)
    for name in demo_settings.BANK_IDENTITY:  # the demo's own, whatever the suite's shell has
        env.pop(name, None)
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


def signed_in(base: str, email: str):
    """A browser signed in to the served demo, and the home page it landed on."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    ).encode()
    return browser, browser.open(f"{base}/login", data=form)


def test_equipbank_demo_serves_the_app_and_every_login_works(served_demo):
    for login in LOGINS:
        _, home = signed_in(served_demo, login.email)
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


def test_the_demo_prints_a_plausible_bank_on_its_receipts(served_demo):
    """Issue 13, finding 5: the demo's receipt names the bank with an address, not a
    placeholder, and its staff home has no setting left to fill."""
    browser, _ = signed_in(served_demo, "relay@demo.equipbank.fr")
    handovers = browser.open(f"{served_demo}/remises/").read().decode()
    handover_id = re.search(r'href="/remises/(\d+)"', handovers).group(1)
    receipt = browser.open(f"{served_demo}/remises/{handover_id}/bon-de-remise.pdf").read()
    text = pdf_text(receipt)
    assert demo_settings.BANK_IDENTITY["BANK_ADDRESS"] in text
    assert "BANK_ADDRESS" not in text and "à renseigner" not in text
    _, staff_home = signed_in(served_demo, "staff@demo.equipbank.fr")
    assert "Configuration à compléter" not in staff_home.read().decode()


def test_the_demo_identity_gives_way_to_the_environment():
    identity = demo_settings.bank_identity({})
    assert set(identity) == set(demo_settings.BANK_IDENTITY) and all(identity.values())
    given = demo_settings.bank_identity({"BANK_ADDRESS": "1 place Masséna, 06000 Nice"})
    assert "BANK_ADDRESS" not in given and "BANK_CITY" in given


def test_the_demo_history_runs_forward_and_gives_meaningful_stock_figures(runner):
    """Issue 13, finding 8: each device's steps happened in order, in the past, spread over
    the months, so the stock report shows ages and lead times rather than zeros."""
    from equipbank.clock import PARIS, utcnow
    from equipbank.devices.models import DeviceEvent
    from equipbank.donations.models import Donation
    from equipbank.handovers.models import Handover
    from equipbank.reports.stock import stock_report
    from equipbank.requests.models import Reservation

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    now = utcnow()
    chain = ["received", "refurbishing", "ready", "reserved", "at_relay", "handed_over"]
    for device in db.session.scalars(sa.select(Device)):
        events = db.session.scalars(
            sa.select(DeviceEvent)
            .where(DeviceEvent.device_id == device.id)
            .order_by(DeviceEvent.id)
        ).all()
        times = [event.at for event in events]
        assert times == sorted(times) and times[-1] <= now, device.tag
        assert len(set(times)) == len(times), device.tag  # each step on its own moment
        assert device.created_at == times[0] and device.status_changed_at == times[-1]
        steps = [event.to_status for event in events]
        if "ready" in steps:
            refurbishing, ready = (times[steps.index(s)] for s in ("refurbishing", "ready"))
            erasure = next(r for r in device.erasures if r.result == "success")
            assert times[0] <= erasure.created_at and refurbishing <= erasure.performed_at < ready
        if set(steps) <= set(chain):
            assert steps == chain[: len(steps)], device.tag
        received_on = device.donation.received_on
        assert received_on is not None and times[0].astimezone(PARIS).date() >= received_on
    for donation in db.session.scalars(
        sa.select(Donation).where(Donation.received_on.is_not(None))
    ):
        assert donation.declared_on <= donation.collected_on <= donation.received_on
    for handover in db.session.scalars(sa.select(Handover)):
        handed = db.session.scalar(
            sa.select(DeviceEvent.at).where(
                DeviceEvent.device_id == handover.device_id, DeviceEvent.to_status == "handed_over"
            )
        )
        assert handover.handed_at == handed
        assert handover.beneficiary.created_at <= handover.handed_at
    for reservation in db.session.scalars(sa.select(Reservation)):
        assert reservation.request.created_at <= reservation.reserved_at
        assert reservation.ended_at is None or reservation.reserved_at < reservation.ended_at

    report = stock_report()
    assert report.ages and all(age.average_days > 0 for age in report.ages)
    for lead in (report.intake_to_ready, report.ready_to_handover):
        assert lead.devices >= 4 and lead.median_days and lead.median_days > 0
    intakes = [flow for flow in report.flows if flow.received]
    handovers = [flow for flow in report.flows if flow.handed_over]
    assert len(intakes) >= 2 and len(handovers) >= 3  # spread over the months
    assert intakes[0].month <= handovers[0].month  # the first devices came in before any left
