"""The list of handovers, as a relay and the bank's staff search it: a device, a person, a
relay, a period, late follow-ups; each relay still sees only its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from equipbank.audit.models import AuditEvent
from equipbank.clock import today
from equipbank.codes import Role
from equipbank.extensions import db
from tests import factories


@pytest.fixture
def three_handovers(relay_user):
    """Camille Dupont (40 days ago), Jean Morel (10 days ago) at `relay_user`'s relay;
    Ana Silva (5 days ago) at another relay."""
    advisor = factories.user(Role.ADVISOR, organisation_=relay_user.organisation)
    made = {}
    for first, last, days, relay in (
        ("Camille", "Dupont", 40, relay_user),
        ("Jean", "Morel", 10, relay_user),
        ("Ana", "Silva", 5, factories.user(Role.RELAY)),
    ):
        person = factories.beneficiary(relay, first_name=first, last_name=last)
        made[last] = factories.equipped(
            relay,
            on=today() - timedelta(days=days),
            beneficiary_=person,
            advisor_=advisor if relay is relay_user else None,
        )
    return made


def listed(client, **query) -> set[str]:
    page = client.get("/remises/", query_string=query)
    assert page.status_code == 200
    return {name for name in ("Dupont", "Morel", "Silva") if name in page.text}


def test_a_relay_searches_its_handovers_by_name_tag_and_period(
    client, auth, relay_user, three_handovers
):
    auth.login(relay_user)
    assert listed(client) == {"Dupont", "Morel"}
    assert listed(client, q="morel") == {"Morel"}
    assert listed(client, q="silva") == set()  # another relay's person
    tag = three_handovers["Dupont"].device.tag
    assert listed(client, q=tag.lower()) == {"Dupont"}
    since = (today() - timedelta(days=20)).isoformat()
    assert listed(client, du=since) == {"Morel"}
    assert listed(client, au=since) == {"Dupont"}
    empty = client.get("/remises/", query_string={"q": "personne"})
    assert "Aucune remise ne correspond à ces critères." in empty.text


def test_staff_filter_by_relay_and_the_search_is_journaled_without_the_name(
    client, auth, relay_user, three_handovers
):
    auth.login(factories.user(Role.STAFF))
    assert listed(client) == {"Dupont", "Morel", "Silva"}
    assert listed(client, relay=relay_user.organisation_id) == {"Dupont", "Morel"}
    assert listed(client, relay="pas-un-id") == {"Dupont", "Morel", "Silva"}  # dropped
    client.get("/remises/", query_string={"q": "Morel"})
    event = db.session.scalars(
        sa.select(AuditEvent)
        .order_by(AuditEvent.id.desc())
        .where(AuditEvent.action == "beneficiary.list")
    ).first()
    assert event.summary["searched"] is True
    assert "Morel" not in str(event.summary)


def test_late_followups_are_a_filter_for_relays_and_staff(
    client, auth, relay_user, three_handovers
):
    # Their follow-ups were planned after the handover and never filled in: all late.
    auth.login(relay_user)
    assert listed(client, suivi="en-retard") == {"Dupont", "Morel"}
    assert listed(client, suivi="en-retard", q="Dupont") == {"Dupont"}
    auth.logout()
    auth.login(factories.user(Role.STAFF))
    assert listed(client, suivi="en-retard") == {"Dupont", "Morel", "Silva"}
