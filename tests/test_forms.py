"""Forms that come back say everything to fix at once (issue 13, 2): the fields' own
validators and the services' checks in the same answer, listed in a summary at the top of
the form whose links lead to the fields; a field in error says so to assistive technology."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from equipbank.clock import today
from equipbank.codes import Role
from equipbank.donations.inventory import services as inventory
from equipbank.extensions import db
from tests import factories


def summary(page) -> str:
    found = re.search(r'<div class="notice error error-summary"(.*?)</div>', page.text, re.S)
    assert found, "no error summary"
    return found.group(0)


def linked(page) -> list[str]:
    """The ids of the fields the summary's links lead to, in its order."""
    return re.findall(r'<a href="#([^"]+)"', summary(page))


def test_the_summary_is_an_alert_that_can_take_the_focus_and_fields_point_at_their_message(
    client, auth
):
    auth.login(factories.user(Role.RELAY))
    page = client.post("/beneficiaires/nouveau", data={"first_name": "Nadia"})
    assert page.status_code == 422
    box = summary(page)
    assert 'role="alert"' in box and 'tabindex="-1"' in box and "à corriger" in box
    assert '<a href="#last_name">Nom : Champ obligatoire.</a>' in box
    field = re.search(r"<input[^>]*\bid=\"last_name\"[^>]*>", page.text).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="last_name-help"' in field
    assert re.search(r'id="last_name-help">\s*<p class="error">Champ obligatoire.</p>', page.text)
    consent = re.search(r"<input[^>]*\bid=\"consent\"[^>]*>", page.text).group(0)
    assert 'aria-invalid="true"' in consent and 'aria-describedby="consent-help"' in consent
    first_name = re.search(r"<input[^>]*\bid=\"first_name\"[^>]*>", page.text).group(0)
    assert "aria-invalid" not in first_name
    # Without a script to focus the summary, the first field in error has the focus.
    assert len(re.findall(r"\bautofocus\b", page.text)) == 1
    assert "autofocus" in re.search(r"<input[^>]*\bid=\"last_name\"[^>]*>", page.text).group(0)


def test_a_new_person_with_nothing_typed_is_told_every_missing_field_at_once(client, auth):
    auth.login(factories.user(Role.RELAY))
    page = client.post("/beneficiaires/nouveau", data={})
    assert page.status_code == 422
    # In the page's order.
    assert linked(page) == [
        "first_name",
        "last_name",
        "birth_year",
        "postal_code",
        "category",
        "consent",
    ]
    assert "Indiquez le code postal." in page.text


def test_a_postal_code_of_several_communes_without_its_commune_is_said_with_the_rest(client, auth):
    auth.login(factories.user(Role.RELAY))
    page = client.post(
        "/beneficiaires/nouveau",
        data={"postal_code": "06440", "birth_year": "1850", "category": "senior_isolated"},
    )
    assert set(linked(page)) == {"commune_code", "first_name", "last_name", "birth_year", "consent"}
    # The commune select offers the communes of the postal code typed, to choose from.
    assert '<option value="06019">Blausasc</option>' in page.text


def test_the_handover_form_says_every_missing_part_at_once(client, auth):
    relay = factories.user(Role.RELAY)
    factories.at_relay(relay)
    auth.login(relay)
    # What a browser sends of an untouched form: its selects' first options.
    untouched = {"duration_minutes": "60", "location_type": "office"}
    page = client.post("/remises/nouvelle", data=untouched)
    assert page.status_code == 422
    assert linked(page) == [
        "device",
        "first_name",
        "last_name",
        "birth_year",
        "postal_code",
        "category",
        "consent",
        "charter_accepted",
        "advisor",
        "starts_at",
    ]


def test_the_handover_form_with_a_known_person_asks_nothing_about_a_new_one(client, auth):
    relay = factories.user(Role.RELAY)
    person = factories.beneficiary(relay)
    auth.login(relay)
    page = client.post(
        "/remises/nouvelle",
        data={"beneficiary_id": str(person.id), "category": "", "location_type": "office"},
    )
    assert linked(page) == ["device", "charter_accepted", "advisor", "starts_at"]


def test_the_donor_registration_says_every_error_at_once_the_services_rules_included(client):
    page = client.post(
        "/dons/devenir-donateur",
        data={
            "siret": "123",
            "password": "azertyuiop",
            "confirm": "azertyuiop",
            "preferred_pickup_on": (today() - timedelta(days=3)).isoformat(),
            "lines-0-category": "laptop",
        },
    )
    assert page.status_code == 422
    found = linked(page)
    for field in (
        "company_name",
        "siret",  # not a SIRET: said by the organisations' rule
        "contact_name",
        "email",
        "password",  # too easy to guess: said by the accounts' rule
        "postal_code",
        "preferred_pickup_on",  # in the past: said by the donations' rule
        "lines-0-category",  # no line: said by the donations' rule, on the first line
    ):
        assert field in found, (field, found)
    assert "SIRET invalide" in page.text and "Trop facile à deviner" in page.text
    assert "Au moins une ligne." in page.text


def test_a_donation_line_in_error_is_named_with_its_line(client, auth):
    auth.login(factories.user(Role.DONOR))
    page = client.post(
        "/dons/nouveau",
        data={
            "lines-0-category": "laptop",
            "lines-0-quantity": "2",
            "lines-1-category": "screen",
            "lines-1-quantity": "1",
            "lines-1-serials": "A\nB",
            "postal_code": "0644",
        },
    )
    assert page.status_code == 422
    assert set(linked(page)) == {"lines-1-serials", "postal_code"}
    assert "Ligne 2 · Numéros de série (facultatif) : 2 numéros de série" in summary(page)


def test_an_organisation_with_a_wrong_siret_and_a_wrong_postal_code_hears_of_both(client, admin):
    page = client.post(
        "/admin/organisations/nouvelle",
        data={"kind": "relay", "name": "CCAS", "siret": "123", "postal_code": "99999"},
    )
    assert page.status_code == 422
    assert set(linked(page)) == {"siret", "postal_code"}


def test_an_import_confirmation_says_the_commune_and_the_date_together(client, auth):
    donor = factories.user(Role.DONOR)
    record = inventory.upload(
        donor.organisation,
        "inventaire.csv",
        "Catégorie;Fabricant\r\nOrdinateur portable;Dell\r\n".encode("cp1252"),
        actor=donor,
    )
    inventory.run_check(record)
    db.session.commit()
    auth.login(donor)
    page = client.post(
        f"/dons/importer/{record.id}/import",
        data={
            "postal_code": "06440",
            "preferred_pickup_on": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert page.status_code == 422
    assert set(linked(page)) == {"commune_code", "preferred_pickup_on"}


@pytest.mark.parametrize("path", ["/beneficiaires/nouveau", "/remises/nouvelle"])
def test_the_public_of_a_new_person_is_chosen_never_preset(client, auth, path):
    auth.login(factories.user(Role.RELAY))
    page = client.get(path)
    select = re.search(r'<select[^>]*id="category"[^>]*>(.*?)</select>', page.text, re.S)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0][1] == "Choisissez…" and 'value=""' in options[0][0]
    assert not any("selected" in attributes for attributes, _ in options[1:])
    refused = client.post(path, data={"category": ""})
    assert "Public : Choisissez le public." in summary(refused)


def test_the_handover_form_shows_the_charter_the_person_accepts(client, auth):
    from equipbank.handovers.charter import CHARTER

    auth.login(factories.user(Role.RELAY))
    page = client.get("/remises/nouvelle")
    charter = re.search(r"<details class=\"charter\">(.*?)</details>", page.text, re.S).group(1)
    for paragraph in CHARTER:
        assert paragraph.replace("'", "&#39;") in charter


def test_the_login_page_puts_the_cursor_in_the_email_field(client):
    page = client.get("/login")
    email = re.search(r"<input[^>]*\bid=\"email\"[^>]*>", page.text).group(0)
    assert "autofocus" in email and 'autocomplete="username"' in email
    refused = client.post("/login", data={"email": "someone@example.org"})
    assert refused.status_code == 422
    assert linked(refused) == ["password"]
    email = re.search(r"<input[^>]*\bid=\"email\"[^>]*>", refused.text).group(0)
    password = re.search(r"<input[^>]*\bid=\"password\"[^>]*>", refused.text).group(0)
    assert "autofocus" not in email and "autofocus" in password


def test_a_refusal_of_the_whole_form_is_in_the_summary_too(client, auth):
    from tests.handovers.test_handovers import handover_form

    relay = factories.user(Role.RELAY)
    device = factories.at_relay(relay)
    advisor = factories.user(Role.ADVISOR, organisation_=relay.organisation)
    auth.login(factories.user(Role.RELAY))  # another relay: the device is none of its own
    page = client.post("/remises/nouvelle", data=handover_form(device, advisor))
    assert page.status_code == 422
    assert f"<li>Aucun équipement {device.tag} n&#39;est accessible.</li>" in summary(page)
