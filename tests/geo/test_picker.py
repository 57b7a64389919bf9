"""The postal code -> commune picker of the forms: its look-up, open to the public donor
registration form too, and its script on every page with a postal code and a commune."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from equipbank.donations.inventory import services as inventory
from equipbank.extensions import db
from tests import factories
from tests.conftest import AuthActions

INVENTORY = "Catégorie;Fabricant;Modèle\r\nOrdinateur portable;Dell;E5490\r\n".encode("cp1252")


def test_the_look_up_gives_anyone_the_communes_of_a_postal_code(client, auth):
    communes = client.get("/geo/communes.json?postal_code=06440")
    assert communes.status_code == 200 and communes.is_json
    assert [c["name"] for c in communes.get_json()] == [
        "Blausasc",
        "L'Escarène",
        "Lucéram",
        "Peille",
        "Peillon",
        "Touët-de-l'Escarène",
    ]
    assert {"code": "06019", "name": "Blausasc"} in communes.get_json()
    for nothing in ("99999", "0644", "06440 OR 1=1", ""):
        assert client.get("/geo/communes.json", query_string={"postal_code": nothing}).json == []
    auth.login(factories.user(Role.RELAY))
    assert len(client.get("/geo/communes.json?postal_code=06390").get_json()) == 5


def test_look_ups_are_throttled_per_address(app, client):
    from tests.test_throttle import ELSEWHERE, allowed, assert_throttled

    for _ in range(allowed(app, "THROTTLE_COMMUNE_LOOKUPS_PER_ADDRESS")):
        assert client.get("/geo/communes.json?postal_code=06000").status_code == 200
    refused = client.get("/geo/communes.json?postal_code=06000")
    assert_throttled(refused, app, "THROTTLE_COMMUNE_LOOKUPS_PER_ADDRESS")
    assert (
        client.get("/geo/communes.json?postal_code=06000", environ_base=ELSEWHERE).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (None, "/dons/devenir-donateur"),
        (Role.DONOR, "/dons/nouveau"),
        (Role.DONOR, "import"),
        (Role.RELAY, "/beneficiaires/nouveau"),
        (Role.RELAY, "/remises/nouvelle"),
        ("admin", "/admin/organisations/nouvelle"),
    ],
)
def test_every_form_with_a_postal_code_and_a_commune_loads_the_picker(app, role, path):
    client = app.test_client()
    if role is not None:
        user = (
            factories.user(Role.STAFF, is_admin=True) if role == "admin" else factories.user(role)
        )
        AuthActions(client).login(user)
        if path == "import":
            record = inventory.upload(user.organisation, "inventaire.csv", INVENTORY, actor=user)
            inventory.run_check(record)
            db.session.commit()
            path = f"/dons/importer/{record.id}"
    page = client.get(path)
    assert page.status_code == 200
    assert "data-commune-picker=" in page.text and "data-commune-select" in page.text
    assert "/static/js/commune-picker.js" in page.text
