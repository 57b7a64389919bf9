"""The journal page of the bank's admins: filters, pages, CSV export; nobody else sees it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from equipbank.audit import services as audit
from equipbank.audit.models import AuditEvent
from equipbank.codes import OrganisationKind, Role
from equipbank.extensions import db
from tests import factories


@pytest.fixture
def journal(admin):
    """Events by two people of two organisations, on two kinds of subject."""
    bank_user = factories.user(Role.STAFF, name="Claire Martin")
    relay = factories.organisation(OrganisationKind.RELAY, name="Clic & Déclic")
    relay_user = factories.user(Role.RELAY, organisation_=relay, name="Yacine Haddad")
    device = factories.device()
    audit.record("device.intake", device, actor=bank_user, summary={"category": "laptop"})
    audit.record("beneficiary.view", "beneficiaries", actor=relay_user)
    # A value a spreadsheet would run as a formula.
    audit.record("organisation.update", "organisations", actor=relay_user, summary={"kind": "=1+1"})
    db.session.commit()
    return {"bank_user": bank_user, "relay": relay, "relay_user": relay_user, "device": device}


def test_the_journal_is_for_admins_only(client, auth):
    staff = factories.user(Role.STAFF)
    auth.login(staff)
    assert client.get("/admin/journal/").status_code == 403
    assert client.get("/admin/journal/export.csv").status_code == 403
    auth.logout()
    relay_user = factories.user(Role.RELAY)
    auth.login(relay_user)
    assert client.get("/admin/journal/").status_code == 403


def actions(client, **filters) -> list[str]:
    """The actions listed on the journal page for these filters."""
    page = client.get("/admin/journal/", query_string=filters).get_data(as_text=True)
    return re.findall(r"<td><code>([^<]+)</code></td>", page)


def test_an_admin_reads_the_journal_and_filters_it(client, journal):
    page = client.get("/admin/journal/").get_data(as_text=True)
    assert "Journal d'audit" in page and "Yacine Haddad" in page
    assert {"device.intake", "beneficiary.view", "organisation.update"} <= set(actions(client))
    assert actions(client, actor=journal["bank_user"].id) == ["device.intake"]
    assert actions(client, organisation=journal["relay"].id) == [
        "organisation.update",
        "beneficiary.view",
    ]
    assert actions(client, action="beneficiary.view") == ["beneficiary.view"]
    assert actions(client, subject_type="devices", subject_id=str(journal["device"].id)) == [
        "device.intake"
    ]


def test_the_period_filter_takes_paris_dates(client, journal):
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    page = client.get("/admin/journal/", query_string={"start": tomorrow}).get_data(as_text=True)
    assert "Aucun événement ne correspond à ces filtres." in page
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    page = client.get(
        "/admin/journal/", query_string={"start": yesterday, "end": tomorrow}
    ).get_data(as_text=True)
    assert "device.intake" in page


def test_the_journal_is_paginated(app, client, journal, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    page = client.get("/admin/journal/").get_data(as_text=True)
    assert "Page 1 sur" in page
    assert "Page 2 sur" in client.get("/admin/journal/?page=2").get_data(as_text=True)


def test_the_list_runs_as_many_queries_for_few_and_many_rows(client, journal, count_queries):
    with count_queries() as few:
        client.get("/admin/journal/")
    for _ in range(12):
        audit.record("organisation.update", "organisations", actor=journal["relay_user"])
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/journal/")
    assert len(many) == len(few)


def test_the_export_is_a_csv_with_no_formula_and_is_journaled(client, journal, admin):
    response = client.get(
        "/admin/journal/export.csv", query_string={"organisation": journal["relay"].id}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["N°", "Date (Paris)", "Personne", "Organisation", "Action"]
    assert sorted(row[4] for row in rows[1:]) == ["beneficiary.view", "organisation.update"]
    detail = next(row[7] for row in rows[1:] if row[4] == "organisation.update")
    assert detail.startswith("{")  # JSON: the formula inside cannot run
    export = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "audit.export")
    ).one()
    assert export.actor_id == admin.id
    assert export.summary == {"organisation_id": str(journal["relay"].id)}


def test_a_cell_starting_like_a_formula_is_escaped(client, admin):
    staff = factories.user(Role.STAFF, name="=HYPERLINK(1)")
    audit.record("organisation.update", "organisations", actor=staff)
    db.session.commit()
    text = client.get("/admin/journal/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_an_empty_journal_says_so(client, admin):
    page = client.get("/admin/journal/").get_data(as_text=True)
    # Logging in is journaled once committed; an empty list is shown only through a filter.
    assert "Journal d'audit" in page
    empty = client.get("/admin/journal/", query_string={"subject_id": "nothing"})
    assert "Aucun événement ne correspond à ces filtres." in empty.get_data(as_text=True)


def test_the_admin_menu_has_the_journal(client, admin):
    assert 'href="/admin/journal/"' in client.get("/admin/journal/").get_data(as_text=True)
