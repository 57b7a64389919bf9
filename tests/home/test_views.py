"""The home pages: what each role is shown first."""

from __future__ import annotations

import re

import pytest

from equipbank.codes import Role
from equipbank.donations.models import DonationLine
from tests import factories


def _donation(status: str, declared: int, received: int):
    donation = factories.donation(
        status=status, lines=[DonationLine(category="laptop", quantity=declared)]
    )
    for _ in range(received):
        factories.device(donation)
    return donation


def test_the_workshop_home_lists_only_donations_with_devices_still_to_receive(client, auth):
    """Issue 13, finding 12: a donation fully received is no longer "à réceptionner"."""
    collected = _donation("collected", declared=2, received=0)
    partly = _donation("received", declared=3, received=1)
    complete = _donation("received", declared=2, received=2)
    beyond = _donation("received", declared=1, received=2)  # one unit more than declared
    closed = _donation("closed", declared=4, received=1)
    auth.login(factories.user(Role.REFURBISHER))
    page = client.get("/atelier").text
    section = page.split("Dons à réceptionner", 1)[1]
    listed = set(re.findall(r"DON-\d+", section))
    assert listed == {collected.reference, partly.reference}
    assert {complete.reference, beyond.reference, closed.reference}.isdisjoint(listed)
    assert "1 / 3" in section and "0 / 2" in section


MISSING_ADDRESS = "BANK_ADDRESS"


@pytest.mark.parametrize("path", ["/equipe", "/admin/etat"])
def test_staff_are_told_when_the_bank_address_is_not_configured(
    app, client, auth, monkeypatch, path
):
    """Issue 13, finding 5: the gap is shown to staff, not printed on a beneficiary's paper."""
    auth.login(factories.user(Role.STAFF))
    monkeypatch.setitem(app.config, "BANK_ADDRESS", None)
    page = client.get(path).text
    assert MISSING_ADDRESS in page and "sans adresse" in page
    main = page[page.index("<main") :]
    assert MISSING_ADDRESS in main  # in the page's content, not in its <title>
    assert "Configuration" not in page[page.index("<title>") : page.index("</title>")]
    monkeypatch.setitem(app.config, "BANK_ADDRESS", "7 rue Beaumont, 06300 Nice")
    assert MISSING_ADDRESS not in client.get(path).text


def test_other_roles_are_not_told_about_the_configuration(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "BANK_ADDRESS", None)
    auth.login(factories.user(Role.REFURBISHER))
    assert MISSING_ADDRESS not in client.get("/atelier").text
