"""Beneficiaries: minimum data, consent, owned by their relay, duplicates flagged with care."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from equipbank.audit.models import AuditEvent
from equipbank.beneficiaries import services
from equipbank.beneficiaries.models import Beneficiary
from equipbank.codes import Role
from equipbank.errors import ValidationFailed
from equipbank.extensions import db
from equipbank.geo.models import Commune
from tests import factories


def data(**overrides) -> services.BeneficiaryData:
    values = {
        "first_name": "Éloïse",
        "last_name": "Martin-Durand",
        "birth_year": 1958,
        "commune": db.session.get(Commune, "06057"),
        "category": "senior_isolated",
        "consent": True,
    }
    values.update(overrides)
    return services.BeneficiaryData(**values)


def test_a_beneficiary_is_registered_with_an_age_band_and_never_a_birth_date(relay_user):
    person = services.create(data(), actor=relay_user)
    db.session.commit()
    assert (person.relay_id, person.birth_year, person.age_band, person.consent_by_id) == (
        relay_user.organisation_id,
        1958,
        "65_74",
        relay_user.id,
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.create")
    )
    assert "Éloïse" not in str(event.summary) and "1958" not in str(event.summary)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"first_name": " "}, "first_name"),
        ({"birth_year": 1850}, "birth_year"),
        ({"commune": None}, "commune"),
        ({"email": "pas-une-adresse"}, "email"),
        ({"email_reminders": True}, "email_reminders"),
        ({"phone": "abc"}, "phone"),
    ],
)
def test_incomplete_or_invalid_files_are_refused(relay_user, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        services.create(data(**overrides), actor=relay_user)
    assert field in refused.value.fields


def test_a_duplicate_of_ours_is_named_one_of_another_relay_only_said_equipped_elsewhere(relay_user):
    ours = services.create(data(), actor=relay_user)
    db.session.commit()
    with pytest.raises(services.PossibleDuplicates) as ours_again:
        services.create(data(first_name="eloise", last_name="MARTIN DURAND"), actor=relay_user)
    assert ours_again.value.duplicates[0].beneficiary.id == ours.id
    db.session.rollback()

    other_relay_user = factories.user(Role.RELAY)
    assert (
        services.possible_duplicates(data(), relay_id=other_relay_user.organisation_id) == []
    )  # not equipped: nothing said
    factories.handover(relay_user, beneficiary_=db.session.get(Beneficiary, ours.id))
    with pytest.raises(services.PossibleDuplicates) as elsewhere:
        services.create(data(), actor=other_relay_user)
    duplicate = elsewhere.value.duplicates[0]
    assert duplicate.beneficiary is None
    assert (
        duplicate.message.startswith("Une personne portant ce nom")
        and "a déjà été équipée dans une autre structure" in duplicate.message
        and not re.search(r"\d", duplicate.message)  # issue 11: no date any more
    )
    assert (
        "Martin" not in elsewhere.value.message
        and relay_user.organisation.name not in elsewhere.value.message
    )
    db.session.rollback()
    services.create(data(), actor=other_relay_user, confirmed_distinct=True)
    db.session.commit()


def test_the_pages_register_warn_search_and_audit(client, auth, relay_user):
    auth.login(relay_user)
    form = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "birth_year": "1949",
        "postal_code": "06440",
        "commune_code": "06057",
        "category": "senior_isolated",
        "consent": "y",
    }
    refused = client.post("/beneficiaires/nouveau", data={**form, "consent": ""})
    assert (
        refused.status_code == 422
        and "Le consentement de la personne est obligatoire" in refused.text
    )
    created = client.post("/beneficiaires/nouveau", data=form)
    assert created.status_code == 302
    person = db.session.scalar(sa.select(Beneficiary))
    twice = client.post("/beneficiaires/nouveau", data=form)
    assert (
        twice.status_code == 422 and "Cette personne est peut-être déjà enregistrée" in twice.text
    )
    assert f"/beneficiaires/{person.id}" in twice.text
    confirmed = client.post("/beneficiaires/nouveau", data={**form, "confirm_distinct": "y"})
    assert confirmed.status_code == 302
    assert "Dupont" in client.get("/beneficiaires/?q=dup").text
    assert "Dupont" not in client.get("/beneficiaires/?q=zzz").text
    client.get(f"/beneficiaires/{person.id}")
    accesses = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.view")
    ).all()
    assert [(a.actor_id, a.subject_id) for a in accesses] == [(relay_user.id, str(person.id))]


def test_editing_keeps_the_consent_and_checks_the_commune(client, auth, relay_user):
    person = factories.beneficiary(relay_user, first_name="Lucie")
    auth.login(relay_user)
    page = client.get(f"/beneficiaires/{person.id}/modifier")
    assert "Consentement recueilli le" in page.text and 'value="06440"' in page.text
    form = {
        "first_name": "Lucie",
        "last_name": "Martin",
        "birth_year": "1958",
        "postal_code": "06390",
        "commune_code": "06048",
        "category": "job_seeker",
    }
    assert client.post(f"/beneficiaires/{person.id}/modifier", data=form).status_code == 302
    db.session.expire_all()
    assert (
        db.session.get(Beneficiary, person.id).commune_code,
        db.session.get(Beneficiary, person.id).category,
    ) == ("06048", "job_seeker")
    wrong = client.post(
        f"/beneficiaires/{person.id}/modifier", data={**form, "commune_code": "06057"}
    )
    assert wrong.status_code == 422 and "n&#39;a pas le code postal" in wrong.text


def test_the_api_registers_and_shows_a_beneficiary_to_its_relay_only(client, api_token, relay_user):
    headers = api_token(relay_user)
    body = {
        "first_name": "Ana",
        "last_name": "Silva",
        "birth_year": 1990,
        "commune": "06057",
        "category": "job_seeker",
        "consent": True,
    }
    created = client.post("/api/v1/beneficiaries", json=body, headers=headers)
    assert created.status_code == 201
    person_id = created.get_json()["id"]
    assert client.post("/api/v1/beneficiaries", json=body, headers=headers).status_code == 409
    assert (
        client.post(
            "/api/v1/beneficiaries", json={**body, "confirm_distinct": True}, headers=headers
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/beneficiaries",
            json={**body, "consent": False, "first_name": "Bo"},
            headers=headers,
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/beneficiaries", json={**body, "commune": "99999"}, headers=headers
        ).status_code
        == 422
    )
    detail = client.get(f"/api/v1/beneficiaries/{person_id}", headers=headers).get_json()
    assert (detail["first_name"], detail["handovers"], detail["age_band"]) == ("Ana", [], "26_44")
    other = api_token(factories.user(Role.RELAY))
    assert client.get(f"/api/v1/beneficiaries/{person_id}", headers=other).status_code == 404
    assert (
        client.get(
            f"/api/v1/beneficiaries/{person_id}", headers=api_token(factories.user(Role.DONOR))
        ).status_code
        == 403
    )


def test_the_handover_form_journals_a_hit_on_another_relays_person(client, auth, relay_user):
    from datetime import timedelta

    from equipbank.clock import PARIS, utcnow

    known = services.create(data(), actor=relay_user)
    db.session.commit()
    factories.handover(relay_user, beneficiary_=db.session.get(Beneficiary, known.id))
    other = factories.user(Role.RELAY)
    device = factories.at_relay(other)
    advisor = factories.user(Role.ADVISOR, organisation_=other.organisation)
    auth.login(other)
    refused = client.post(
        "/remises/nouvelle",
        data={
            "device": device.tag,
            "charter_accepted": "y",
            "advisor": str(advisor.id),
            "starts_at": (utcnow() + timedelta(days=3))
            .astimezone(PARIS)
            .strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "location_type": "office",
            "first_name": "Éloïse",
            "last_name": "Martin-Durand",
            "birth_year": "1958",
            "postal_code": "06440",
            "commune_code": "06057",
            "category": "senior_isolated",
            "consent": "y",
        },
    )
    assert refused.status_code == 422 and "une autre personne" in refused.text
    hits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.duplicate_hit")
    ).all()
    assert [(hit.actor_id, hit.subject_id) for hit in hits] == [(other.id, str(known.id))]


def test_the_handover_list_journals_who_saw_which_people(client, auth, relay_user):
    for _ in range(3):
        factories.handover(relay_user)
    auth.login(relay_user)
    assert client.get("/remises/").status_code == 200
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.list")
    ).all()
    assert (event.actor_id, event.summary["list"], event.summary["count"]) == (
        relay_user.id,
        "handovers",
        3,
    )
