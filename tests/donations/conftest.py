from __future__ import annotations

import pytest

from equipbank.codes import Role
from tests import factories


@pytest.fixture
def donor(auth):
    """A user of a donor company, logged in on `client`."""
    user = factories.user(Role.DONOR)
    auth.login(user)
    return user
