"""The whole URL map, walked: every GET route requested by everyone it is open to, with real
ids from factories. A route added later is walked too; one that needs an argument the world
does not have fails the walk until the world gets one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.routing import Rule

from equipbank.appointments import services as appointments
from equipbank.appointments.models import Appointment
from equipbank.auth.permissions import access_of
from equipbank.auth.services import (
    make_confirmation_token,
    make_password_reset_token,
    make_set_password_token,
)
from equipbank.clock import today
from equipbank.codes import Role
from equipbank.donations.inventory import services as inventory
from equipbank.extensions import db
from equipbank.requests.models import DeviceRequest
from tests import factories
from tests.conftest import METRICS_TOKEN, AuthActions
from tests.pdfs import pdf_text

# A name that no page shows unless it is about this person; ASCII, so JSON shows it as is.
FIRST_NAME, LAST_NAME = "Zephyrine", "Quintavalle"

# GET routes the walk does not request, and why. Everything else is requested with real ids.
NOT_WALKED = {
    "static": "the same for everyone and cacheable: tests/test_security.py checks it on its own",
}
# Requested, but the answer can only be a 404 here: a job lives in Redis, and without
# REDIS_URL (the default test run) jobs run inline and leave nothing to follow.
JOB_ENDPOINTS = {"jobs.progress", "jobs.status", "jobs.result_file"}
# The health check is a 503 by design while no rq worker or scheduler beats: with REDIS_URL
# set, the suite runs none in the background (tests/test_faults.py checks it).
MAY_BE_UNAVAILABLE = {"api-health.health"}


def server_error(rule: Rule, response) -> bool:
    """A 5xx answer, but a 503 from a route that says a part is down."""
    if response.status_code == 503 and rule.endpoint in MAY_BE_UNAVAILABLE:
        return False
    return response.status_code >= 500


# Routes with their own check, and the headers that pass it.
ROUTE_HEADERS = {"metrics.metrics": {"Authorization": f"Bearer {METRICS_TOKEN}"}}

# Query arguments without which a route only says what it lacks (or a function of the world
# giving them).
REQUIRED_QUERY = {
    "api-communes.list_communes": {"postal_code": "06440"},
    "handovers.advisor_day": lambda world: {
        "advisor": world.values["user_id"],
        "day": today().isoformat(),
    },
}


@dataclass
class World:
    """Everyone, and one handover to a person with a distinctive name, seen by each role."""

    clients: dict[str, object]  # role (or "admin", "anonymous") -> a logged-in test client
    tokens: dict[str, dict[str, str]]  # role -> bearer header
    values: dict[str, object]  # URL argument name -> a real value
    set_password_token: str
    password_reset_token: str
    confirmation_token: str
    calendar_token: str


def build_world(app, api_token) -> World:
    admin = factories.user(Role.STAFF, is_admin=True)
    donor = factories.user(Role.DONOR)
    refurbisher = factories.user(Role.REFURBISHER)
    relay = factories.user(Role.RELAY)
    advisor = factories.user(Role.ADVISOR, organisation_=relay.organisation)
    person = factories.beneficiary(relay, first_name=FIRST_NAME, last_name=LAST_NAME)
    donation = factories.donation(donor.organisation)
    device = factories.at_relay(relay, staff=admin, donation_=donation)
    handover = factories.handover(relay, advisor_=advisor, device_=device, beneficiary_=person)
    appointment = db.session.scalar(
        sa.select(Appointment).where(Appointment.handover_id == handover.id)
    )
    record = inventory.upload(
        donor.organisation,
        "inventaire.csv",
        "Catégorie;Fabricant;Modèle;Numéro de série\r\nOrdinateur portable;Dell;E5490;DL-1\r\n".encode(
            "cp1252"
        ),
        actor=donor,
    )
    calendar_token = appointments.new_calendar_token(advisor, actor=advisor)
    newcomer = factories.user(Role.ADVISOR, password_hash=None)
    db.session.commit()

    users = {
        "admin": admin,
        Role.STAFF: admin,
        Role.DONOR: donor,
        Role.REFURBISHER: refurbisher,
        Role.RELAY: relay,
        Role.ADVISOR: advisor,
    }
    clients: dict[str, object] = {"anonymous": app.test_client()}
    for role, user in users.items():
        clients[role] = app.test_client()
        AuthActions(clients[role]).login(user)
    return World(
        clients=clients,
        tokens={role: api_token(user) for role, user in users.items() if role != "admin"},
        values={
            "user_id": advisor.id,
            "organisation_id": relay.organisation_id,
            "appointment_id": appointment.id,
            "beneficiary_id": person.id,
            "tag": device.tag,
            "donation_id": donation.id,
            "import_id": record.id,
            "request_id": db.session.scalar(sa.select(sa.func.max(DeviceRequest.id))),
            "handover_id": handover.id,
            "job_id": "inline-0",
        },
        set_password_token=make_set_password_token(newcomer),
        password_reset_token=make_password_reset_token(newcomer),
        confirmation_token=make_confirmation_token(newcomer),
        calendar_token=calendar_token,
    )


def get_rules(app) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())),
        key=lambda rule: rule.rule,
    )


def paths_of(rule: Rule, world: World) -> list[str]:
    """The rule's URL(s) with real values; one per value of an `any(...)` argument."""
    values = dict(world.values)
    if rule.endpoint == "auth.set_password":
        values["token"] = world.set_password_token
    elif rule.endpoint == "auth.reset_password":
        values["token"] = world.password_reset_token
    elif rule.endpoint == "auth.confirm_email":
        values["token"] = world.confirmation_token
    elif rule.endpoint == "appointments.feed":
        values["token"] = world.calendar_token
    missing = rule.arguments - values.keys() - {"file_format"}
    assert not missing, f"{rule.rule}: no value for {sorted(missing)}: add one to the world"
    formats = ["csv", "xlsx"] if "file_format" in rule.arguments else [None]
    paths = []
    for file_format in formats:
        arguments = {name: values[name] for name in rule.arguments if name != "file_format"}
        if file_format:
            arguments["file_format"] = file_format
        _, path = rule.build(arguments, append_unknown=False)
        paths.append(path)
    return paths


def callers(rule: Rule, world: World) -> Iterator[tuple[str, dict]]:
    """(who, request keywords) for everyone the route is open to: each allowed role, the
    admin for admin pages, and for public pages someone anonymous and someone logged in."""
    access = access_of(rule.endpoint)
    if access == "admin":
        who = ["admin"]
    elif access == "public":
        who = ["anonymous", Role.RELAY]
    else:
        who = sorted(access)
    for one in who:
        if rule.rule.startswith("/api/"):
            headers = world.tokens.get(one, {})
            yield one, {"client": world.clients["anonymous"], "headers": headers}
        else:
            headers = ROUTE_HEADERS.get(rule.endpoint, {})
            yield one, {"client": world.clients[one], "headers": headers}


def walk(app, world: World, query: dict | None = None) -> Iterator[tuple[Rule, str, str, object]]:
    """Every GET route, for everyone it is open to: (rule, who, path, response)."""
    for rule in get_rules(app):
        if rule.endpoint in NOT_WALKED:
            continue
        required = REQUIRED_QUERY.get(rule.endpoint, {})
        arguments = {**(required(world) if callable(required) else required), **(query or {})}
        for path in paths_of(rule, world):
            for who, call in callers(rule, world):
                response = call["client"].get(path, query_string=arguments, headers=call["headers"])
                yield rule, who, path, response


def visible_text(response) -> str:
    """What a person reads in the answer: a PDF's text, or the bytes as text (a spreadsheet
    is compressed, but its rows are aggregates)."""
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    return response.data.decode("utf-8", "replace")
