"""The handover: a device, a beneficiary and a follow-up appointment, saved together or not at all."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import utcnow
from equipbank.codes import Role
from equipbank.devices.models import Device
from equipbank.errors import Conflict, NotFound, ValidationFailed
from equipbank.extensions import db
from equipbank.handovers import services
from equipbank.handovers.models import Handover
from tests import factories
from tests.pdfs import pdf_text


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_handover_writes_the_handover_its_appointment_and_the_move_together(relay_user, advisor):
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user, commune="06048")
    handover = services.hand_over(
        device,
        person,
        services.HandoverData(charter_accepted=True, accessories="Chargeur, souris"),
        factories.followup(advisor),
        actor=relay_user,
    )
    db.session.commit()
    appointment = services.first_appointment(handover)
    assert (handover.commune_code, appointment.advisor_id, appointment.status) == (
        "06048",
        advisor.id,
        "scheduled",
    )
    assert db.session.get(Device, device.id).status == "handed_over"
    assert handover.receipt_ref.startswith("REM-")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("past", "dans le futur"),
        ("no_date", "Indiquez la date"),
        ("not_an_advisor", "conseiller numérique actif"),
        ("inactive_advisor", "conseiller numérique actif"),
        ("no_charter", "charte"),
    ],
)
def test_a_handover_without_a_valid_followup_writes_nothing(relay_user, advisor, case, message):
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    followup = factories.followup(advisor)
    charter = True
    if case == "past":
        followup.starts_at = utcnow() - timedelta(hours=1)
    elif case == "no_date":
        followup.starts_at = None
    elif case == "not_an_advisor":
        followup.advisor_id = relay_user.id
    elif case == "inactive_advisor":
        advisor.active = False
        db.session.commit()
    elif case == "no_charter":
        charter = False
    with pytest.raises(ValidationFailed) as refused:
        services.hand_over(
            device,
            person,
            services.HandoverData(charter_accepted=charter),
            followup,
            actor=relay_user,
        )
    assert message in f"{refused.value.message} {refused.value.fields}"
    db.session.rollback()
    assert (count(Handover), count(Appointment)) == (0, 0)
    assert db.session.get(Device, device.id).status == "at_relay"


def test_a_device_not_at_this_relay_or_given_already_is_refused(relay_user, advisor):
    other_relay_user = factories.user(Role.RELAY)
    theirs = factories.at_relay(other_relay_user)
    person = factories.beneficiary(relay_user)
    with pytest.raises(ValidationFailed, match="pas à votre structure"):
        services.hand_over(
            theirs,
            person,
            services.HandoverData(charter_accepted=True),
            factories.followup(advisor),
            actor=relay_user,
        )
    db.session.rollback()
    ready = factories.ready_device()
    with pytest.raises(ValidationFailed, match="réceptionnez-le"):
        services.hand_over(
            ready,
            person,
            services.HandoverData(charter_accepted=True),
            factories.followup(advisor),
            actor=relay_user,
        )
    db.session.rollback()
    given = factories.handover(relay_user, advisor_=advisor)
    with pytest.raises(Conflict, match="déjà été remis"):
        services.hand_over(
            given.device,
            person,
            services.HandoverData(charter_accepted=True),
            factories.followup(advisor),
            actor=relay_user,
        )
    db.session.rollback()
    someone_elses = factories.beneficiary(other_relay_user)
    mine = factories.at_relay(relay_user)
    with pytest.raises(NotFound):
        services.hand_over(
            mine,
            someone_elses,
            services.HandoverData(charter_accepted=True),
            factories.followup(advisor),
            actor=relay_user,
        )


def handover_form(device, advisor_user, **values) -> dict:
    starts = (utcnow() + timedelta(days=3)).astimezone(
        __import__("equipbank.clock", fromlist=["PARIS"]).PARIS
    )
    form = {
        "device": device.tag,
        "beneficiary_id": "",
        "first_name": "Nadia",
        "last_name": "Benali",
        "birth_year": "1961",
        "postal_code": "06440",
        "commune_code": "06057",
        "category": "social_minima",
        "consent": "y",
        "accessories": "Chargeur",
        "charter_accepted": "y",
        "advisor": str(advisor_user.id),
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location_type": "office",
        "place": "Salle 2",
    }
    form.update(values)
    return form


def test_the_handover_page_registers_the_person_and_gives_receipt_and_calendar_file(
    client, auth, relay_user, advisor
):
    device = factories.at_relay(relay_user)
    auth.login(relay_user)
    page = client.get(f"/remises/nouvelle?device={device.tag}")
    assert (
        f'<option selected value="{device.tag}">' in page.text
        or f'value="{device.tag}" selected' in page.text
    )
    response = client.post("/remises/nouvelle", data=handover_form(device, advisor))
    assert response.status_code == 302
    handover = db.session.scalar(sa.select(Handover))
    person = db.session.get(Beneficiary, handover.beneficiary_id)
    assert (person.first_name, person.relay_id, handover.commune_code) == (
        "Nadia",
        relay_user.organisation_id,
        "06057",
    )

    receipt = client.get(f"/remises/{handover.id}/bon-de-remise.pdf")
    text = pdf_text(receipt.data)
    assert (
        handover.receipt_ref in text
        and "Nadia Benali" in text
        and device.tag in text
        and "Thomas Lambert" in text
    )
    assert "1961" not in text  # the receipt names the person, nothing more

    ics = client.get(f"/remises/{handover.id}/rendez-vous.ics")
    assert ics.mimetype == "text/calendar"
    event = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")[0]
    appointment = services.first_appointment(handover)
    assert event.decoded("DTSTART") == appointment.starts_at
    assert str(event["UID"]) == f"appointment-{appointment.id}@equipbank"
    assert "Thomas Lambert" in str(event["SUMMARY"]) and "Benali" not in ics.data.decode()


def test_a_form_sent_twice_makes_one_handover(client, auth, relay_user, advisor):
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    auth.login(relay_user)
    form = handover_form(device, advisor, beneficiary_id=str(person.id))
    first = client.post("/remises/nouvelle", data=form)
    second = client.post("/remises/nouvelle", data=form)
    assert first.status_code == 302 and second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert (count(Handover), count(Appointment)) == (1, 1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"advisor": ""}, "conseiller numérique actif"),
        ({"starts_at": "2001-01-01T10:00"}, "dans le futur"),
        ({"charter_accepted": ""}, "charte"),
        ({"consent": ""}, "consentement"),
    ],
)
def test_the_handover_page_refuses_and_writes_nothing(
    client, auth, relay_user, advisor, values, message
):
    device = factories.at_relay(relay_user)
    auth.login(relay_user)
    response = client.post("/remises/nouvelle", data=handover_form(device, advisor, **values))
    assert response.status_code == 422 and message in response.text
    assert (count(Handover), count(Appointment), count(Beneficiary)) == (0, 0, 0)


def test_a_returned_device_closes_its_handover_and_goes_back_to_the_workshop(
    client, auth, relay_user, advisor
):
    handover = factories.handover(relay_user, advisor_=advisor)
    auth.login(relay_user)
    assert (
        client.post(
            f"/remises/{handover.id}/retour", data={"reason": ""}, follow_redirects=True
        ).status_code
        == 200
    )
    assert (
        client.post(f"/remises/{handover.id}/retour", data={"reason": "Écran cassé"}).status_code
        == 302
    )
    db.session.expire_all()
    handover = db.session.get(Handover, handover.id)
    assert handover.returned_at is not None and handover.return_reason == "Écran cassé"
    assert handover.device.status == "returned"
    workshop = factories.user(Role.REFURBISHER)
    from equipbank.devices import services as devices

    devices.move(handover.device, "received", actor=workshop)
    db.session.commit()
    assert (handover.device.status, handover.device.holder_id) == (
        "received",
        workshop.organisation_id,
    )


def test_the_api_hands_over_with_a_followup_or_refuses_with_422(
    client, api_token, relay_user, advisor
):
    headers = api_token(relay_user)
    device = factories.at_relay(relay_user)
    person = factories.beneficiary(relay_user)
    advisors = client.get("/api/v1/advisors", headers=headers).get_json()
    assert {
        "id": advisor.id,
        "name": "Thomas Lambert",
        "organisation": relay_user.organisation.name,
    } in advisors
    starts_at = (utcnow() + timedelta(days=2)).isoformat()
    missing = client.post(
        "/api/v1/handovers", json={"device": device.tag, "beneficiary": person.id}, headers=headers
    )
    assert missing.status_code == 422 and "followup" in missing.get_json()["error"]["fields"]
    past = client.post(
        "/api/v1/handovers",
        json={
            "device": device.tag,
            "beneficiary": person.id,
            "followup": {
                "advisor": advisor.id,
                "starts_at": "2020-01-01T10:00:00Z",
                "location_type": "office",
            },
        },
        headers=headers,
    )
    assert past.status_code == 422 and "followup.starts_at" in past.get_json()["error"]["fields"]
    assert (count(Handover), count(Appointment)) == (0, 0)
    created = client.post(
        "/api/v1/handovers",
        json={
            "device": device.tag,
            "beneficiary": person.id,
            "followup": {
                "advisor": advisor.id,
                "starts_at": starts_at,
                "location_type": "home",
                "place": "Domicile",
            },
        },
        headers=headers,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (
        body["appointment"]["advisor"] == advisor.id
        and body["appointment"]["status"] == "scheduled"
    )
    again = client.post(
        "/api/v1/handovers",
        json={
            "device": device.tag,
            "beneficiary": person.id,
            "followup": {"advisor": advisor.id, "starts_at": starts_at, "location_type": "home"},
        },
        headers=headers,
    )
    assert again.status_code == 409
    detail = client.get(f"/api/v1/beneficiaries/{person.id}", headers=headers).get_json()
    assert [h["device"] for h in detail["handovers"]] == [device.tag] and len(
        detail["appointments"]
    ) == 1


def test_donors_never_see_beneficiaries(client, api_token, relay_user, advisor):
    handover = factories.handover(relay_user, advisor_=advisor)
    donor = factories.user(Role.DONOR, organisation_=handover.device.donation.donor)
    headers = api_token(donor)
    device = client.get(f"/api/v1/devices/{handover.device.tag}", headers=headers).get_json()
    assert "beneficiary" not in re.sub(r"\s", "", str(device)).lower()
    assert (
        client.get(f"/api/v1/beneficiaries/{handover.beneficiary_id}", headers=headers).status_code
        == 403
    )
    assert client.get(f"/api/v1/handovers/{handover.id}", headers=headers).status_code == 403


@pytest.mark.parametrize("address", [None, ""])
def test_a_receipt_without_a_configured_bank_address_prints_no_placeholder(
    app, monkeypatch, relay_user, advisor, address
):
    """Issue 13, finding 5: the beneficiary's paper never says "to be filled in"; staff are
    told instead (tests/home/test_views.py)."""
    monkeypatch.setitem(app.config, "BANK_ADDRESS", address)
    handover = factories.handover(relay_user, advisor_=advisor)
    text = pdf_text(services.receipt_pdf(handover))
    assert app.config["BANK_NAME"] in text and app.config["BANK_CONTACT"] in text
    for placeholder in ("BANK_ADDRESS", "à renseigner", "None"):
        assert placeholder not in text
    monkeypatch.setitem(app.config, "BANK_ADDRESS", "7 rue Beaumont, 06300 Nice")
    assert "7 rue Beaumont, 06300 Nice" in pdf_text(services.receipt_pdf(handover))
