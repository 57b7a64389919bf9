"""Each role signs in through the login page and lands on a home that axe-core and a phone
find nothing wrong with."""

from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories

HOMES = {
    Role.STAFF: "/equipe",
    Role.DONOR: "/donateur",
    Role.REFURBISHER: "/atelier",
    Role.RELAY: "/relais",
    Role.ADVISOR: "/conseiller",
}


@pytest.mark.parametrize("role", list(HOMES), ids=[role.value for role in HOMES])
def test_each_role_signs_in_and_lands_on_its_home(walk, role):
    user = factories.user(role)
    way = walk(role.value)
    way.goto("/login")
    way.check()
    way.login(user)
    assert way.page.url.endswith(HOMES[role])
    way.step("home")
    way.check()
