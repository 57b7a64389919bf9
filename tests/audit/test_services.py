"""The audit log records who did what on which subject, never personal data."""

from __future__ import annotations

import pytest

from equipbank.audit import services as audit
from equipbank.extensions import db
from tests import factories


def test_an_event_names_actor_action_and_subject():
    actor = factories.user("staff")
    organisation = factories.organisation()
    event = audit.record(
        "organisation.update", organisation, actor=actor, summary={"kind": "relay"}
    )
    db.session.commit()
    assert (event.actor_id, event.action, event.subject_type, event.subject_id) == (
        actor.id,
        "organisation.update",
        "organisations",
        str(organisation.id),
    )
    assert event.summary == {"kind": "relay"} and event.at is not None


def test_a_new_subject_gets_its_id_before_the_event():
    from equipbank.organisations.models import Organisation

    organisation = Organisation(kind="donor", name="Société Générale Nice")
    db.session.add(organisation)
    event = audit.record("organisation.create", organisation)
    assert event.subject_id == str(organisation.id)


@pytest.mark.parametrize("key", ["email", "last_name", "phone", "birth_year"])
def test_personal_fields_are_refused(key):
    with pytest.raises(ValueError, match="personal data"):
        audit.record("beneficiary.update", "beneficiaries", summary={key: "x"})
