"""The situation of seed 000 (the Pays des Paillons roadmap): "5 bénéficiaires ont été équipés
en matériel reconditionné (2 à L'Escarène, 1 à Berre-les-Alpes, 1 à Peille, 1 à Blausasc), via
des partenaires tels que la BGE, la Fondation de Nice et France Travail de la Trinité"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from equipbank.clock import today
from equipbank.codes import OrganisationKind, Role
from tests import factories

PAILLONS = "240600593"
# The 11 communes of the CC du Pays des Paillons, with their population in the referential.
PAILLONS_COMMUNES = {
    "06014": ("Bendejun", 971),
    "06015": ("Berre-les-Alpes", 1316),
    "06019": ("Blausasc", 1668),
    "06031": ("Cantaron", 1268),
    "06043": ("Coaraze", 827),
    "06048": ("Contes", 7897),
    "06057": ("L'Escarène", 2585),
    "06077": ("Lucéram", 1234),
    "06091": ("Peille", 2123),
    "06092": ("Peillon", 1408),
    "06142": ("Touët-de-l'Escarène", 300),
}
EXPECTED = [
    ("06057", "L'Escarène", 2),
    ("06015", "Berre-les-Alpes", 1),
    ("06019", "Blausasc", 1),
    ("06091", "Peille", 1),
]


def _relay_user(name: str):
    return factories.user(
        Role.RELAY, organisation_=factories.organisation(OrganisationKind.RELAY, name=name)
    )


@pytest.fixture
def seed_000():
    """The five equipped beneficiaries, plus what must stay out of the EPCI's table: a person
    equipped in Nice, and one at L'Escarène before the period."""
    bge = _relay_user("BGE Côte d'Azur")
    fondation = _relay_user("Fondation de Nice")
    france_travail = _relay_user("France Travail La Trinité")
    advisor = factories.user(Role.ADVISOR)
    day = today() - timedelta(days=30)
    factories.equipped(bge, commune="06057", on=day, advisor_=advisor, followup_done=True)
    factories.equipped(fondation, commune="06057", on=day, advisor_=advisor)
    factories.equipped(fondation, commune="06015", on=day, advisor_=advisor, followup_done=True)
    factories.equipped(france_travail, commune="06091", on=day, advisor_=advisor)
    factories.equipped(bge, commune="06019", on=day, advisor_=advisor, followup_done=True)
    factories.equipped(bge, commune="06088", on=day, advisor_=advisor)  # Nice: another EPCI
    factories.equipped(
        bge, commune="06057", on=today().replace(year=today().year - 3), advisor_=advisor
    )
    return day


def _period(day):
    return {"from": (day - timedelta(days=1)).isoformat(), "to": today().isoformat()}


def test_the_epci_table_is_the_roadmaps(client, api_token, seed_000):
    headers = api_token(factories.user(Role.STAFF))
    response = client.get(
        "/api/v1/reports/communes",
        query_string={**_period(seed_000), "epci": PAILLONS},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [
        (row["code"], row["name"], row["equipped_beneficiaries"]) for row in body["rows"]
    ] == EXPECTED
    assert all(row["epci_name"] == "CC du Pays des Paillons" for row in body["rows"])
    assert [row["handovers"] for row in body["rows"]] == [2, 1, 1, 1]
    assert [row["followups_done"] for row in body["rows"]] == [1, 1, 1, 0]
    assert body["totals"]["equipped_beneficiaries"] == 5
    assert body["totals"]["handovers"] == 5
    assert body["totals"]["followups_done"] == 3
    assert body["totals"]["population"] == sum(
        population for _name, population in PAILLONS_COMMUNES.values()
    )


def test_with_zeros_lists_the_eleven_communes(client, api_token, seed_000):
    headers = api_token(factories.user(Role.STAFF))
    query = {
        **_period(seed_000),
        "epci": PAILLONS,
        "with_zeros": "true",
        "sort": "name",
        "order": "asc",
    }
    body = client.get("/api/v1/reports/communes", query_string=query, headers=headers).get_json()
    rows = {
        row["code"]: (row["name"], row["population"], row["equipped_beneficiaries"])
        for row in body["rows"]
    }
    expected_counts = {code: count for code, _name, count in EXPECTED}
    assert rows == {
        code: (name, population, expected_counts.get(code, 0))
        for code, (name, population) in PAILLONS_COMMUNES.items()
    }
    assert [row["name"] for row in body["rows"]] == sorted(
        name for name, _population in PAILLONS_COMMUNES.values()
    )


def test_the_page_shows_the_same_table(client, auth, seed_000):
    auth.login(factories.user(Role.STAFF))
    response = client.get(
        "/rapports/communes",
        query_string={**_period(seed_000), "epci": PAILLONS, "with_zeros": "y"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CC du Pays des Paillons" in page
    for name, _population in PAILLONS_COMMUNES.values():
        assert name.replace("'", "&#39;") in page
    assert "Total (11 communes)" in page
