"""Admins create, edit and deactivate organisations; others cannot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from equipbank.audit.models import AuditEvent
from equipbank.codes import Role
from equipbank.extensions import db
from equipbank.organisations.models import Organisation
from tests import factories

VALID_SIRET = "73282932000074"  # a real, checksum-valid SIRET


def form(**overrides):
    data = {
        "kind": "donor",
        "name": "Riviera Informatique",
        "siret": "732 829 320 00074",
        "address": "12 avenue Jean Médecin",
        "postal_code": "06440",
        "commune_code": "06057",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
    }
    data.update(overrides)
    return data


def test_an_admin_creates_a_donor_with_its_siret_and_commune(client, admin):
    response = client.post("/admin/organisations/nouvelle", data=form())
    assert response.status_code == 302
    created = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Riviera Informatique")
    )
    assert (created.kind, created.siret, created.commune_code) == ("donor", VALID_SIRET, "06057")
    listing = client.get("/admin/organisations/", follow_redirects=True)
    assert "Riviera Informatique" in listing.text and "L&#39;Escarène" in listing.text
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "organisation.create")
    )
    assert event.actor_id == admin.id and event.subject_id == str(created.id)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"siret": "73282932000075"}, "SIRET invalide"),
        ({"siret": "1234"}, "SIRET invalide"),
        ({"name": ""}, "Indiquez le nom."),
        ({"postal_code": "06440", "commune_code": ""}, "Choisissez la commune."),
        ({"postal_code": "06440", "commune_code": "06048"}, "n&#39;a pas le code postal"),
        ({"postal_code": "99999", "commune_code": ""}, "Aucune commune pour le code postal"),
    ],
)
def test_bad_input_is_shown_on_the_field_and_nothing_is_saved(client, admin, overrides, message):
    response = client.post("/admin/organisations/nouvelle", data=form(**overrides))
    assert response.status_code == 422
    assert message in response.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(Organisation.name == "Riviera Informatique")
        )
        == 0
    )


def test_a_siret_already_used_names_the_other_organisation(client, admin):
    factories.organisation("donor", name="Société existante", siret=VALID_SIRET)
    response = client.post("/admin/organisations/nouvelle", data=form())
    assert response.status_code == 422
    assert "Déjà utilisé par « Société existante »" in response.text


def test_editing_keeps_the_commune_choice_and_hides_relay_fields_for_donors(client, admin):
    relay = factories.organisation("relay", name="Clic & Déclic", mediation_typology="Association")
    page = client.get(f"/admin/organisations/{relay.id}")
    assert 'value="Association"' in page.text
    response = client.post(
        f"/admin/organisations/{relay.id}",
        data=form(kind="relay", name="Clic et Déclic", siret="", mediation_typology="CCAS"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    relay = db.session.get(Organisation, relay.id)
    assert (relay.name, relay.mediation_typology, relay.siret) == ("Clic et Déclic", "CCAS", None)


def test_the_kind_cannot_change_under_accounts_it_does_not_fit(client, admin):
    relay_user = factories.user(Role.RELAY)
    response = client.post(
        f"/admin/organisations/{relay_user.organisation_id}", data=form(kind="donor", siret="")
    )
    assert response.status_code == 422
    assert "Incompatible avec les comptes" in response.text


def test_deactivating_an_organisation_locks_its_accounts_out(client, admin, app):
    relay_user = factories.user(Role.RELAY)
    response = client.post(f"/admin/organisations/{relay_user.organisation_id}/desactiver")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, relay_user.organisation_id).is_active is False
    answer = app.test_client().post(
        "/login", data={"email": relay_user.email, "password": factories.PASSWORD}
    )
    assert "incorrect" in answer.text
    client.post(f"/admin/organisations/{relay_user.organisation_id}/reactiver")
    db.session.expire_all()
    assert db.session.get(Organisation, relay_user.organisation_id).is_active is True


def test_an_admin_cannot_deactivate_their_own_organisation(client, admin):
    response = client.post(
        f"/admin/organisations/{admin.organisation_id}/desactiver", follow_redirects=True
    )
    assert "votre propre organisation" in response.text
    assert db.session.get(Organisation, admin.organisation_id).is_active is True


def test_the_list_filters_by_kind_and_name_and_paginates(client, admin):
    for index in range(30):
        factories.organisation("relay", name=f"Relais {index:02d}")
    factories.organisation("donor", name="Donateur 100%")
    first = client.get("/admin/organisations/?kind=relay")
    assert (
        "Relais 00" in first.text and "Relais 29" not in first.text and "Page 1 sur 2" in first.text
    )
    second = client.get("/admin/organisations/?kind=relay&page=2")
    assert "Relais 29" in second.text
    literal = client.get("/admin/organisations/?q=100%25")
    assert "Donateur 100%" in literal.text and "Relais 00" not in literal.text
    nothing = client.get("/admin/organisations/?q=introuvable")
    assert "Aucune organisation ne correspond" in nothing.text


@pytest.mark.parametrize("is_admin", [False, True])
def test_only_admins_reach_the_organisation_pages(client, auth, is_admin):
    auth.login(factories.user(Role.STAFF, is_admin=is_admin))
    assert client.get("/admin/organisations/").status_code == (200 if is_admin else 403)


def test_an_unknown_organisation_is_a_404(client, admin):
    assert client.get("/admin/organisations/999999").status_code == 404


def test_an_admin_validates_a_self_registered_company(client, admin):
    company = factories.organisation("donor", name="Inscrite seule", validated_at=None)
    page = client.get(f"/admin/organisations/{company.id}")
    assert "À valider" in page.text
    assert client.post(f"/admin/organisations/{company.id}/valider").status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, company.id).is_validated
