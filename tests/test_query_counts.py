"""List pages, report pages and API lists run as many SQL queries for 15 rows as for 3: a
page that queries once per row gets slower with every row the bank records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from equipbank.appointments.models import Appointment
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.donations.models import DonationLine
from equipbank.extensions import db
from equipbank.geo.models import Commune
from equipbank.requests import services as requests
from tests import factories

FEW, MANY = 3, 15  # both within one page (PER_PAGE is 25)


# Row builders: each adds one row the page lists, with related rows of its own (its own donor,
# relay, beneficiary...), so that a lazy load per row cannot hide behind the session's identity
# map; each returns a text the page must show for that row.


def device_row(viewer) -> str:
    return factories.at_relay(factories.user(Role.RELAY)).tag


def donation_row(viewer) -> str:
    donation = factories.donation(
        lines=[
            DonationLine(category="laptop", quantity=2, brand="Dell"),
            DonationLine(category="screen", quantity=1),
        ]
    )
    return donation.donor.name


def request_row(viewer) -> str:
    relay_user = factories.user(Role.RELAY)
    request = requests.create_request(
        requests.RequestData(category="laptop", quantity=2), actor=relay_user
    )
    db.session.flush()
    requests.allocate(request, [factories.ready_device().tag], actor=factories.user(Role.STAFF))
    db.session.commit()
    return relay_user.organisation.name


def unused_commune() -> Commune:
    """A commune of the Alpes-Maritimes no beneficiary lives in yet."""
    return db.session.scalar(
        sa.select(Commune)
        .where(
            Commune.code.like("06%"),
            Commune.kind == "commune",
            Commune.code.not_in(sa.select(Beneficiary.commune_code)),
        )
        .order_by(Commune.code)
        .limit(1)
    )


def handover_row(viewer) -> str:
    relay_user = factories.user(Role.RELAY)
    person = factories.beneficiary(relay_user, commune=unused_commune().code)
    return factories.handover(relay_user, beneficiary_=person).device.tag


def beneficiary_row(viewer) -> str:
    relay_user = viewer if viewer.role == Role.RELAY else factories.user(Role.RELAY)
    return factories.beneficiary(relay_user, commune=unused_commune().code).first_name


def _appointment(advisor) -> Appointment:
    relay_user = factories.user(Role.RELAY, organisation_=advisor.organisation)
    handover = factories.handover(relay_user, advisor_=advisor)
    return db.session.scalar(sa.select(Appointment).where(Appointment.handover_id == handover.id))


def appointment_row(advisor) -> str:
    return _appointment(advisor).beneficiary.first_name


def appointment_device_row(advisor) -> str:
    return _appointment(advisor).handover.device.tag


def past_appointment_row(advisor) -> str:
    appointment = _appointment(advisor)
    appointment.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    return appointment.beneficiary.first_name


def advisor_row(viewer) -> str:
    return factories.user(Role.ADVISOR).name


def commune_row(viewer) -> str:
    """Someone equipped in one more commune: one more row of the report."""
    commune = unused_commune()
    factories.equipped(factories.user(Role.RELAY), commune=commune.code, followup_done=True)
    return commune.name


def stock_row(viewer) -> str:
    factories.ready_device()
    factories.at_workshop(category="tablet")
    factories.at_relay(factories.user(Role.RELAY))
    return ""


def per_row(for_few: list[str], for_many: list[str]) -> str:
    """The statements run more often for more rows, to say which relation to load eagerly."""
    extra = Counter(for_many)
    extra.subtract(for_few)
    return "\n".join(f"{count} more times: {text[:300]}" for text, count in extra.items() if count)


@dataclass(frozen=True)
class Page:
    role: str
    path: str
    add_row: Callable[[object], str]
    api: bool = False

    def __str__(self) -> str:
        return self.path


PAGES = [
    Page(Role.STAFF, "/equipements/", device_row),
    Page(Role.STAFF, "/dons/", donation_row),
    Page(Role.STAFF, "/demandes/", request_row),
    Page(Role.STAFF, "/remises/", handover_row),
    Page(Role.STAFF, "/beneficiaires/", beneficiary_row),
    Page(Role.RELAY, "/beneficiaires/", beneficiary_row),
    Page(Role.ADVISOR, "/conseiller", appointment_row),
    Page(Role.ADVISOR, "/rendez-vous/a-renseigner", past_appointment_row),
    Page(Role.STAFF, "/rapports/communes", commune_row),
    Page(Role.STAFF, "/rapports/stock", stock_row),
    Page(Role.STAFF, "/api/v1/devices", device_row, api=True),
    Page(Role.STAFF, "/api/v1/donations", donation_row, api=True),
    Page(Role.STAFF, "/api/v1/requests", request_row, api=True),
    Page(Role.STAFF, "/api/v1/handovers", handover_row, api=True),
    Page(Role.STAFF, "/api/v1/beneficiaries", beneficiary_row, api=True),
    Page(Role.ADVISOR, "/api/v1/appointments", appointment_device_row, api=True),
    Page(Role.RELAY, "/api/v1/advisors", advisor_row, api=True),
    Page(Role.STAFF, "/api/v1/reports/communes", commune_row, api=True),
    Page(Role.STAFF, "/api/v1/reports/stock", stock_row, api=True),
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: f"{page.role}:{page.path}")
def test_a_list_runs_as_many_queries_for_many_rows_as_for_few(
    page, client, auth, api_token, count_queries
):
    viewer = factories.user(page.role)
    headers = api_token(viewer) if page.api else {}
    if not page.api:
        auth.login(viewer)
    shown: list[str] = []

    def queries() -> list[str]:
        with count_queries() as statements:
            response = client.get(page.path, headers=headers)
        assert response.status_code == 200
        if page.api:
            body = json.dumps(response.get_json(), ensure_ascii=False)
            assert all(text in body for text in shown)
        else:
            assert all(escape(text) in response.text for text in shown)
        return statements

    shown.extend(page.add_row(viewer) for _ in range(FEW))
    queries()  # once before counting: what a first request loads and keeps is not per row
    for_few = queries()
    shown.extend(page.add_row(viewer) for _ in range(MANY - FEW))
    for_many = queries()

    assert len(for_many) == len(for_few), per_row(for_few, for_many)


def test_the_communes_api_runs_as_many_queries_for_a_long_page_as_for_a_short_one(
    client, api_token, count_queries
):
    headers = api_token(factories.user(Role.RELAY))

    def queries(per_page: int) -> int:
        with count_queries() as statements:
            response = client.get(f"/api/v1/communes?q=saint&per_page={per_page}", headers=headers)
        assert len(response.get_json()["items"]) == per_page
        return statements

    queries(FEW)
    for_few, for_many = queries(FEW), queries(MANY)

    assert len(for_many) == len(for_few), per_row(for_few, for_many)
