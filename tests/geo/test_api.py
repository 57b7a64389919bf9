"""GET /api/v1/communes, as partner tools call it."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories

PAILLONS = "240600593"


@pytest.fixture
def headers(api_token):
    return api_token(factories.user(Role.RELAY))


def test_postal_code_06440_lists_its_six_communes_of_the_pays_des_paillons(client, headers):
    body = client.get("/api/v1/communes?postal_code=06440", headers=headers).get_json()
    assert body["total"] == 6 and body["page"] == 1
    assert [c["name"] for c in body["items"]] == [
        "Blausasc",
        "L'Escarène",
        "Lucéram",
        "Peille",
        "Peillon",
        "Touët-de-l'Escarène",
    ]
    for commune in body["items"]:
        assert (commune["epci_code"], commune["epci_name"]) == (PAILLONS, "CC du Pays des Paillons")
        assert "06440" in commune["postal_codes"] and commune["department"] == "06"
    escarene = body["items"][1]
    assert (escarene["code"], escarene["population"]) == ("06057", 2585)


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("escarene", "L'Escarène"),
        ("06057", "L'Escarène"),
        ("2A004", "Ajaccio"),
        ("75111", "Paris"),
        ("nice", "Nice"),
    ],
)
def test_q_finds_by_name_insee_code_or_arrondissement(client, headers, q, first):
    body = client.get(f"/api/v1/communes?q={q}", headers=headers).get_json()
    assert body["items"][0]["name"] == first


def test_a_postal_code_typed_in_q_works_too(client, headers):
    body = client.get("/api/v1/communes?q=06440", headers=headers).get_json()
    assert body["total"] == 6


def test_results_are_paginated(client, headers):
    first = client.get("/api/v1/communes?q=saint&per_page=10", headers=headers).get_json()
    second = client.get("/api/v1/communes?q=saint&per_page=10&page=2", headers=headers).get_json()
    assert first["total"] > 1000 and len(first["items"]) == 10 and first["per_page"] == 10
    assert not {c["code"] for c in first["items"]} & {c["code"] for c in second["items"]}


def test_nothing_to_search_is_a_422(client, headers):
    response = client.get("/api/v1/communes", headers=headers)
    assert response.status_code == 422
    assert "q" in response.get_json()["error"]["fields"]
