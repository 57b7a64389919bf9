"""The pages of a computed list (`ListPage`, under the commune report): whatever the length,
the page size and the page asked for in the URL, typed or edited by hand, every row is on
exactly one page and the page shown, its links and its "Page X sur Y" exist."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equipbank.web import ListPage

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
