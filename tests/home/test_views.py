"""The home pages: what each role is shown first."""

from __future__ import annotations

import re

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
