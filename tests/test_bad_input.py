"""Numbers beyond any id, in URLs, query strings and bodies: a 404 or a 422, never a 500."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories

HUGE = "99999999999999999999"
JUST_TOO_BIG = str(2**31)


@pytest.mark.parametrize("number", [HUGE, JUST_TOO_BIG])
@pytest.mark.parametrize(
    "path",
    [
        "/equipements/EB-{n}",
        "/d/EB-{n}",
        "/scanner?code=EB-{n}",
        "/dons/{n}",
        "/dons/importer/{n}",
        "/demandes/{n}",
        "/beneficiaires/{n}",
        "/remises/{n}",
        "/remises/nouvelle?beneficiary={n}",
        "/admin/organisations/{n}",
        "/admin/comptes/?organisation={n}",
    ],
)
def test_pages_answer_huge_numbers_with_a_clear_4xx(client, auth, path, number):
    auth.login(factories.user(Role.STAFF, is_admin=True))
    response = client.get(path.format(n=number))
    assert response.status_code in (200, 403, 404, 422), response.status_code


@pytest.mark.parametrize("number", [HUGE, JUST_TOO_BIG])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/devices/EB-{n}",
        "/api/v1/donations/{n}",
        "/api/v1/devices?holder={n}",
        "/api/v1/devices?donation={n}",
        "/api/v1/requests/{n}",
        "/api/v1/beneficiaries/{n}",
        "/api/v1/handovers/{n}",
    ],
)
def test_the_api_answers_huge_numbers_with_a_clear_4xx(client, api_token, path, number):
    response = client.get(path.format(n=number), headers=api_token(factories.user(Role.STAFF)))
    assert response.status_code in (404, 422), response.status_code
    assert "error" in response.get_json()


def test_a_huge_id_in_a_json_body_is_a_field_error(client, api_token):
    headers = api_token(factories.user(Role.RELAY))
    response = client.post(
        "/api/v1/handovers",
        json={
            "device": "EB-000001",
            "beneficiary": int(HUGE),
            "followup": {
                "advisor": 2**40,
                "starts_at": "2030-01-01T10:00:00Z",
                "location_type": "office",
            },
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert {"beneficiary", "followup"} <= set(response.get_json()["error"]["fields"])


@pytest.mark.parametrize(
    "path",
    [
        "/equipements/?q=%00",
        "/beneficiaires/?q=abc&q=d%00",
        "/rapports/communes?department=%00",
        "/rapports/communes?epci=06%00",
        "/api/v1/reports/communes?department=%00",
        "/api/v1/communes?q=Nice%00",
    ],
)
def test_a_nul_character_in_a_url_is_a_clear_400(client, auth, api_token, path):
    staff = factories.user(Role.STAFF)
    auth.login(staff)
    api = path.startswith("/api/")
    response = client.get(path, headers=api_token(staff) if api else {})
    assert response.status_code == 400
    text = response.get_json()["error"]["message"] if api else response.get_data(as_text=True)
    assert "caractère nul" in text


def test_a_nul_character_in_a_form_or_a_json_body_is_a_clear_400(client, auth, api_token):
    relay = factories.user(Role.RELAY)
    headers = api_token(relay)
    response = client.post(
        "/api/v1/beneficiaries",
        data='{"first_name": "Ana\\u0000"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    auth.login(relay)
    response = client.post(
        "/beneficiaires/nouveau", data={"first_name": "Ana\x00", "last_name": "B"}
    )
    assert response.status_code == 400
    assert "caractère nul" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/equipements/",
        "/rapports/communes",
        "/rapports/indicateurs",
        "/rapports/stock",
        "/rapports/impact",
    ],
)
def test_query_arguments_named_like_url_building_ones_are_ignored(client, auth, path):
    factories.equipped(factories.user(Role.RELAY))  # rows, hence links built from the URL
    auth.login(factories.user(Role.STAFF))
    response = client.get(
        path, query_string={"endpoint": "x", "file_format": "x", "_anchor": "y", "_external": "1"}
    )
    assert response.status_code == 200
