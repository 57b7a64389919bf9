"""The pages of a list. A computed list (`ListPage`, under the commune report): whatever the
length, the page size and the page asked for in the URL, typed or edited by hand, every row is
on exactly one page and the page shown, its links and its "Page X sur Y" exist. Every list of
the URL map, HTML and API, asked for a page number far beyond any: never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equipbank.codes import Role
from equipbank.web import ListPage
from tests import factories
from tests.urlmap import World, build_world, server_error, walk

HUGE = "99999999999999999999"

# The autouse fixture only pushes an app context: examples share nothing through it.
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

totals = st.integers(min_value=0, max_value=400)
page_sizes = st.integers(min_value=1, max_value=60)
numbers = st.one_of(
    st.integers(min_value=-3, max_value=12),
    st.integers(min_value=-(10**30), max_value=10**30),
)
# No decimal digit anywhere: such a value cannot name a page.
not_numbers = st.text(st.characters(exclude_categories=("Nd", "Cs")), max_size=8)


@dataclass(frozen=True)
class Shown:
    """What the pagination macro and the list template read from the page."""

    page: int
    pages: int
    items: list
    prev: int | None
    next: int | None


def shown(app, total: int, per_page: int, requested: str | None) -> Shown:
    query = {} if requested is None else {"page": requested}
    with app.test_request_context("/", query_string=query):
        page = ListPage(list(range(total)), per_page)
        return Shown(
            page=page.page,
            pages=page.pages,
            items=list(page.items),
            prev=page.prev_num if page.has_prev else None,
            next=page.next_num if page.has_next else None,
        )


@PROPERTY
@given(totals, page_sizes)
def test_following_the_next_links_shows_every_row_exactly_once_in_order(app, total, per_page):
    seen: list[int] = []
    visited = [shown(app, total, per_page, None)]
    seen.extend(visited[0].items)
    while visited[-1].next is not None:
        visited.append(shown(app, total, per_page, str(visited[-1].next)))
        seen.extend(visited[-1].items)

    assert seen == list(range(total))
    assert [page.page for page in visited] == list(range(1, len(visited) + 1))
    assert all(page.pages == len(visited) for page in visited)
    assert all(page.items for page in visited) or total == 0
    # Going back from the last page retraces the same pages.
    back = [visited[-1]]
    while back[-1].prev is not None:
        back.append(shown(app, total, per_page, str(back[-1].prev)))
    assert back[::-1] == visited


@PROPERTY
@given(totals, page_sizes, numbers)
def test_a_page_number_in_the_url_shows_that_page_or_the_nearest_one(app, total, per_page, number):
    page = shown(app, total, per_page, str(number))

    assert 1 <= page.page <= page.pages
    if 1 <= number <= page.pages:
        assert page.page == number
    elif number < 1:
        assert page.page == 1
    else:
        assert page.page == page.pages
    assert page == shown(app, total, per_page, str(page.page))
    assert page.prev is None or 1 <= page.prev == page.page - 1
    assert page.next is None or page.page + 1 == page.next <= page.pages
    assert (page.prev is None) == (page.page == 1)
    assert (page.next is None) == (page.page == page.pages)


@PROPERTY
@given(totals, page_sizes, not_numbers)
def test_a_page_that_is_no_number_shows_the_first_page(app, total, per_page, requested):
    assert shown(app, total, per_page, requested) == shown(app, total, per_page, None)
    assert shown(app, total, per_page, requested).page == 1


@pytest.fixture
def world(app, api_token) -> World:
    return build_world(app, api_token)


def test_a_huge_page_number_never_breaks_a_list(app, world, monkeypatch):
    """Every route asked for `?page=99999999999999999999`: an HTML list shows its last page,
    an API list says the page is invalid (422, the JSON error shape), nothing answers 500."""
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    openapi = world.clients["anonymous"].get("/api/v1/openapi.json").get_json()
    api_lists = {
        path
        for path, operations in openapi["paths"].items()
        if any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", []))
    }
    problems: list[str] = []
    html_lists: set[str] = set()
    for rule, who, path, response in walk(app, world, {"page": HUGE}):
        where = f"{path}?page={HUGE} as {who} ({response.status_code})"
        if server_error(rule, response):
            problems.append(f"{where}: server error")
        elif rule.rule in api_lists and world.tokens.get(who):
            body = response.get_json() or {}
            if response.status_code != 422 or "page" not in body["error"]["fields"]:
                problems.append(f"{where}: not a 422 naming the page")
        elif response.mimetype == "text/html":
            shown = re.search(r"Page (\d+) sur (\d+)", response.get_data(as_text=True))
            if shown:
                html_lists.add(rule.endpoint)
                if shown.group(1) != shown.group(2):
                    problems.append(f"{where}: shows page {shown.group(1)} of {shown.group(2)}")
    assert problems == []
    assert api_lists >= {
        "/api/v1/beneficiaries",
        "/api/v1/handovers",
        "/api/v1/devices",
        "/api/v1/donations",
        "/api/v1/requests",
        "/api/v1/appointments",
        "/api/v1/communes",
    }
    # With one row a page, the lists with more than one row showed their last page.
    assert html_lists >= {"users.index", "organisations.index"}


def test_a_page_beyond_the_end_shows_the_last_page_of_the_list(client, auth):
    relay = factories.user(Role.RELAY)
    names = [f"Personne{n:02d}" for n in range(27)]  # PER_PAGE is 25: two pages
    for name in names:
        factories.beneficiary(relay, last_name=name)
    auth.login(relay)
    for asked in ("2", "3", HUGE, "-1"):
        page = client.get(f"/beneficiaires/?page={asked}")
        assert page.status_code == 200
        expected = "Page 1 sur 2" if asked == "-1" else "Page 2 sur 2"
        assert expected in page.text


def test_the_api_gives_an_empty_page_past_the_end_and_refuses_a_page_no_list_can_have(
    client, api_token
):
    relay = factories.user(Role.RELAY)
    factories.beneficiary(relay)
    headers = api_token(relay)
    past = client.get("/api/v1/beneficiaries?page=3", headers=headers)
    assert past.status_code == 200
    assert (past.get_json()["items"], past.get_json()["total"]) == ([], 1)
    huge = client.get(f"/api/v1/beneficiaries?page={HUGE}", headers=headers)
    assert huge.status_code == 422
    assert huge.get_json()["error"]["fields"]["page"] == ["Numéro de page invalide."]
