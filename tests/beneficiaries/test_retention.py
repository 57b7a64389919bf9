"""Retention and erasure (issue 11): every personal field goes, every figure stays."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.appointments.models import Appointment
from equipbank.audit.models import AuditEvent
from equipbank.beneficiaries import retention
from equipbank.beneficiaries.models import Beneficiary
from equipbank.clock import today, utcnow
from equipbank.codes import Role
from equipbank.devices.models import DeviceEvent
from equipbank.extensions import db
from equipbank.handovers import services as handovers
from equipbank.handovers.models import Handover
from tests import factories
from tests.pdfs import pages_text, pdf_text

# Beneficiary columns that identify the person, and what they read after anonymisation.
PERSONAL = {
    "first_name": None,
    "last_name": None,
    "birth_year": None,
    "phone": None,
    "email": None,
    "email_reminders": False,
    "eligibility_verified_by": None,
    "eligibility_verified_on": None,
}
KEPT = ("age_band", "commune_code", "category", "referrer_kind", "eligibility_basis", "relay_id")


def _months_ago(months: int):
    return retention.months_before(utcnow(), months)


@pytest.fixture
def data_set():
    """Two relays, four communes, handovers over two years, outcomes, places, a return."""
    donor = factories.organisation("donor")
    donation = factories.donation(donor)
    relays = [factories.user(Role.RELAY), factories.user(Role.RELAY)]
    advisor = factories.user(Role.ADVISOR)
    day = today()
    story = [
        ("06057", 700, True),
        ("06057", 400, False),
        ("06057", 200, True),
        ("06091", 200, True),
        ("06088", 90, False),
        ("06088", 30, True),
        ("06033", 10, True),
        ("06033", 3, False),
    ]
    made = []
    for index, (commune, days_ago, done) in enumerate(story):
        relay_user = relays[index % 2]
        made.append(
            factories.equipped(
                relay_user,
                commune=commune,
                on=day - timedelta(days=days_ago),
                followup_done=done,
                advisor_=advisor,
                device_=factories.at_relay(relay_user, donation_=donation),
                phone="06 12 34 56 78",
                email=f"personne{index}@example.org",
                email_reminders=True,
                eligibility_basis="social_minima",
                eligibility_verified_by="Mme Travailleuse Sociale",
                eligibility_verified_on=day - timedelta(days=days_ago + 1),
                referrer_kind="ccas",
            )
        )
    handovers.return_device(made[1], "La personne a déménagé à Lyon", actor=relays[1])
    db.session.commit()
    return donor, made


def _reports(client, headers, donor_id: int) -> dict[str, bytes]:
    period = {"from": "2020-01-01", "to": today().isoformat()}
    paths = {
        "communes page": ("/rapports/communes", period),
        "communes by EPCI page": ("/rapports/communes", {**period, "grouping": "epci"}),
        "communes.csv": ("/rapports/communes.csv", period),
        "communes.xlsx": ("/rapports/communes.xlsx", period),
        "open data csv": ("/rapports/communes-donnees-ouvertes.csv", period),
        "open data xlsx": ("/rapports/communes-donnees-ouvertes.xlsx", period),
        "stock page": ("/rapports/stock", {}),
        "stock.csv": ("/rapports/stock.csv", {}),
        "stock.xlsx": ("/rapports/stock.xlsx", {}),
        "indicators page": ("/rapports/indicateurs", period),
        "impact page": ("/rapports/impact", {**period, "donor": donor_id}),
        "impact.pdf": ("/rapports/impact.pdf", {**period, "donor": donor_id}),
    }
    answers = {}
    for name, (path, query) in paths.items():
        response = client.get(path, query_string=query)
        assert response.status_code == 200, name
        answers[name] = response.data
    for path in ("/api/v1/reports/communes", "/api/v1/reports/stock"):
        response = client.get(path, query_string=period, headers=headers)
        assert response.status_code == 200, path
        answers[path] = response.data
    return answers


def _comparable(name: str, data: bytes) -> object:
    """The bytes as they are (CSV, PDF, API JSON), except: in an HTML page, the logout
    form's CSRF token (signed with the current second); in an XLSX, each file of the
    archive, with the two timestamps openpyxl writes (created, modified) taken out."""
    if name.endswith("page"):
        return re.sub(rb'name="csrf_token" value="[^"]*"', b"", data)
    if not name.endswith("xlsx"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            member: re.sub(
                rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", archive.read(member)
            )
            for member in archive.namelist()
        }


def test_retention_clears_every_personal_field_and_no_figure_moves(
    client, auth, api_token, data_set
):
    donor, made = data_set
    staff = factories.user(Role.STAFF)
    headers = api_token(staff)
    auth.login(staff)
    before = _reports(client, headers, donor.id)
    assert b"06 12 34 56 78" not in b"".join(before.values())  # reports were never personal
    assert "personnes équipées" in pdf_text(before["impact.pdf"])

    # Thirteen months from now, everyone's last activity is past the 12 months.
    report = retention.apply_retention(now=utcnow() + timedelta(days=400))
    db.session.commit()
    assert report.count == len(made)

    people = db.session.scalars(sa.select(Beneficiary)).all()
    for person in people:
        db.session.refresh(person)
        assert person.anonymised_at is not None
        for column, cleared in PERSONAL.items():
            assert getattr(person, column) == cleared, column
        assert all(getattr(person, column) is not None for column in KEPT)
        assert person.full_name == "Personne anonymisée"
    places = db.session.scalars(sa.select(Appointment.place)).all()
    assert places and all(place is None for place in places)
    returned = db.session.get(Handover, made[1].id)
    assert returned.return_reason == retention.REASON_ERASED
    assert "Lyon" not in str(db.session.scalars(sa.select(DeviceEvent.data)).all())
    # The handovers, the appointments' dates, statuses, topics and durations stay.
    assert db.session.scalar(sa.select(sa.func.count(Handover.id))) == len(made)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Appointment.status == "done", Appointment.topics.is_not(None)
            )
        )
        == 5
    )

    after = _reports(client, headers, donor.id)
    assert after.keys() == before.keys()
    for name in before:
        assert _comparable(name, after[name]) == _comparable(name, before[name]), name
    print(
        f"{len(PERSONAL)} beneficiary fields + Appointment.place + Handover.return_reason "
        f"cleared; {len(before)} reports and exports compared"
    )


def test_only_people_past_the_retention_are_anonymised_and_the_run_is_audited(runner, app):
    relay_user = factories.user(Role.RELAY)
    old, recent, edited, planned = (factories.beneficiary(relay_user) for _ in range(4))
    long_ago = _months_ago(14)
    old_handover = factories.handover(relay_user, beneficiary_=old)
    old_handover.handed_at = long_ago
    for person in (old, recent, edited, planned):
        person.updated_at = long_ago
    factories.handover(relay_user, beneficiary_=recent).handed_at = _months_ago(2)
    db.session.execute(  # its appointment was a year ago and is done: no activity since
        sa.update(Appointment)
        .where(Appointment.beneficiary_id == old.id)
        .values(starts_at=long_ago, status="done", outcome_duration_minutes=30, held_at=long_ago)
    )
    db.session.commit()
    edited.phone = "0612345678"  # an edit today is activity
    db.session.commit()
    planned_handover = factories.handover(relay_user, beneficiary_=planned)
    planned_handover.handed_at = long_ago  # but its follow-up is still ahead
    db.session.commit()

    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0 and "1 bénéficiaire(s) à anonymiser" in dry.output
    assert db.session.get(Beneficiary, old.id).anonymised_at is None
    done = runner.invoke(args=["privacy", "retention"])
    assert done.exit_code == 0 and "1 bénéficiaire(s) anonymisé(s)" in done.output
    db.session.expire_all()
    assert [
        p.id
        for p in db.session.scalars(
            sa.select(Beneficiary).where(Beneficiary.anonymised_at.is_not(None))
        )
    ] == [old.id]
    runs = db.session.scalars(
        sa.select(AuditEvent.summary)
        .where(AuditEvent.action == "beneficiary.retention")
        .order_by(AuditEvent.id)
    ).all()
    assert [(run["dry_run"], run["count"]) for run in runs] == [(True, 1), (False, 1)]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "beneficiary.anonymise")
        )
        == 1
    )


def test_the_daily_housekeeping_anonymises_and_journals_each_run(app, relay_user):
    from equipbank.appointments.tasks import sweep
    from equipbank.privacy.tasks import housekeeping

    old = factories.beneficiary(relay_user)
    old.updated_at = _months_ago(13)
    db.session.commit()
    sweep()  # every ten minutes: the notifications, not the retention
    assert db.session.get(Beneficiary, old.id).anonymised_at is None
    assert "1 bénéficiaire(s) anonymisé(s)" in housekeeping()
    assert "0 bénéficiaire(s) anonymisé(s)" in housekeeping()
    db.session.expire_all()
    assert db.session.get(Beneficiary, old.id).anonymised_at is not None
    runs = db.session.scalars(  # once a day: each run is in the journal, as proof it runs
        sa.select(AuditEvent.summary)
        .where(AuditEvent.action == "beneficiary.retention")
        .order_by(AuditEvent.id)
    ).all()
    assert [run["count"] for run in runs] == [1, 0]


def test_the_consent_text_quotes_the_setting(client, auth, relay_user, app, monkeypatch):
    auth.login(relay_user)
    monkeypatch.setitem(app.config, "RETENTION_MONTHS", 18)
    assert "anonymisées après 18 mois" in client.get("/beneficiaires/nouveau").text


# Right of access and erasure ----------------------------------------------------------------


def test_the_relay_exports_everything_held_and_who_saw_it(client, auth, api_token, relay_user):
    handover = factories.handover(relay_user, accessories="Sacoche")
    person = handover.beneficiary
    auth.login(relay_user)
    client.get(f"/beneficiaires/{person.id}")
    exported = client.get(f"/beneficiaires/{person.id}/donnees.json")
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    body = exported.get_json()
    assert body["beneficiary"]["first_name"] == person.first_name
    assert body["handovers"][0]["receipt_ref"] == handover.receipt_ref
    assert body["appointments"][0]["place"] == "Salle 2"
    actions = [access["action"] for access in body["accesses"]]
    assert actions[0] == "beneficiary.create" and "beneficiary.view" in actions
    assert actions[-1] == "beneficiary.export"
    assert {access["actor_role"] for access in body["accesses"]} == {"relay"}
    assert "ip" not in str(body["accesses"])

    pdf = client.get(f"/beneficiaires/{person.id}/donnees.pdf")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(pages_text(pdf.data))
    assert person.first_name in text and "Sacoche" in text
    assert handover.receipt_ref in text.replace(" ", "")  # wrapped in its narrow cell

    api = client.get(f"/api/v1/beneficiaries/{person.id}/export", headers=api_token(relay_user))
    assert api.status_code == 200 and api.get_json()["beneficiary"]["id"] == person.id
    formats = db.session.scalars(
        sa.select(AuditEvent.summary)
        .where(AuditEvent.action == "beneficiary.export")
        .order_by(AuditEvent.id)
    ).all()
    assert [summary["format"] for summary in formats] == ["json", "pdf", "api"]


def test_erasure_on_the_page_asks_a_reason_and_is_final(client, auth, relay_user):
    person = factories.handover(relay_user).beneficiary
    auth.login(relay_user)
    page = client.get(f"/beneficiaires/{person.id}").text
    assert "Anonymiser maintenant" in page and "data-confirm" in page
    assert "Exporter ses données" in page
    client.post(f"/beneficiaires/{person.id}/anonymisation", data={"reason": ""})
    assert db.session.get(Beneficiary, person.id).anonymised_at is None
    client.post(f"/beneficiaires/{person.id}/anonymisation", data={"reason": "person_asked"})
    db.session.expire_all()
    erased = db.session.get(Beneficiary, person.id)
    assert erased.anonymised_at is not None and erased.first_name is None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.anonymise")
    )
    assert event.summary == {"reason": "person_asked"} and event.actor_id == relay_user.id
    assert "Anonymiser maintenant" not in client.get(f"/beneficiaires/{person.id}").text


def test_erasure_through_the_api_and_the_duplicate_check_forgets_the_person(
    client, api_token, relay_user
):
    person = factories.handover(relay_user).beneficiary
    details = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_year": person.birth_year,
        "commune": person.commune_code,
        "category": "young",
        "consent": True,
    }
    other = factories.user(Role.RELAY)
    other_headers = api_token(other)
    known = client.post("/api/v1/beneficiaries", json=details, headers=other_headers)
    assert known.status_code == 409
    message = known.get_json()["error"]["message"]
    assert "dans une autre structure" in message and not re.search(r"\d", message)
    hits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.duplicate_hit")
    ).all()
    assert [(hit.actor_id, hit.subject_id) for hit in hits] == [(other.id, str(person.id))]

    refused = client.post(
        f"/api/v1/beneficiaries/{person.id}/anonymise",
        json={"reason": "objection"},
        headers=other_headers,
    )
    assert refused.status_code == 404
    bad = client.post(
        f"/api/v1/beneficiaries/{person.id}/anonymise",
        json={"reason": "il a demandé"},
        headers=api_token(relay_user),
    )
    assert bad.status_code == 422
    done = client.post(
        f"/api/v1/beneficiaries/{person.id}/anonymise",
        json={"reason": "objection"},
        headers=api_token(relay_user),
    )
    assert done.status_code == 200
    body = done.get_json()
    assert body["anonymised_at"] and body["first_name"] is None and body["phone"] is None
    again = client.post(
        f"/api/v1/beneficiaries/{person.id}/anonymise",
        json={"reason": "objection"},
        headers=api_token(relay_user),
    )
    assert again.status_code == 422
    assert (
        client.post("/api/v1/beneficiaries", json=details, headers=other_headers).status_code == 201
    )


def test_lists_and_the_agenda_write_one_audit_event_without_data(
    client, auth, api_token, relay_user, advisor
):
    person = factories.beneficiary(relay_user, phone="0612345678")
    factories.handover(relay_user, advisor_=advisor, beneficiary_=person)
    staff = factories.user(Role.STAFF)
    auth.login(staff)
    page = client.get("/beneficiaires/", query_string={"q": "Martin"})
    assert "0612345678" not in page.text
    listed = client.get(
        "/api/v1/beneficiaries", query_string={"q": "Martin"}, headers=api_token(staff)
    )
    assert "phone" not in listed.get_json()["items"][0]
    auth.logout()
    auth.login(advisor)
    client.get("/conseiller")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "beneficiary.list").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.summary) for e in events] == [
        (staff.id, {"list": "beneficiaries", "searched": True, "count": 1}),
        (staff.id, {"list": "api_beneficiaries", "searched": True, "count": 1}),
        (advisor.id, {"list": "advisor_agenda", "searched": False, "count": 1}),
    ]


def test_retention_runs_as_many_statements_for_15_people_as_for_3(count_queries, relay_user):
    """Each person with a handover, a follow-up place and a device that came back: the sweep
    clears them all with the same statements, however many they are."""
    later = utcnow() + timedelta(days=400)  # everyone's activity is then past the 12 months

    def people_come_back(number: int) -> None:
        for _ in range(number):
            handover = factories.handover(relay_user)
            handovers.return_device(handover, "Parti chez sa fille à Grasse", actor=relay_user)
        db.session.commit()

    counts = {}
    for number in (3, 15):
        people_come_back(number)
        with count_queries() as statements:
            assert retention.apply_retention(now=later).count == number
        db.session.commit()
        counts[number] = len(statements)
    assert "Grasse" not in str(db.session.scalars(sa.select(DeviceEvent.data)).all())
    assert counts[3] == counts[15], counts
    print(f"apply_retention: {counts[3]} statements for 3 people, {counts[15]} for 15")


def test_retention_clears_everyone_when_they_fill_several_batches(monkeypatch, relay_user):
    monkeypatch.setattr(retention, "BATCH", 2)
    people = [factories.handover(relay_user).beneficiary for _ in range(5)]
    db.session.commit()
    assert retention.apply_retention(now=utcnow() + timedelta(days=400)).count == 5
    db.session.commit()
    db.session.expire_all()
    assert all(db.session.get(Beneficiary, p.id).first_name is None for p in people)
    assert db.session.scalars(sa.select(Appointment.place)).all() == [None] * 5
