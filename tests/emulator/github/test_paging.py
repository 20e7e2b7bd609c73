"""``page``/``per_page`` and the ``link`` header, against GitHub's documented example."""

from __future__ import annotations

import pytest

from tunestream_emulator.github.paging import PageRequest, link_header

pytestmark = pytest.mark.unit

URL = "https://api.github.com/repositories/1300192/issues"


def test_the_documented_example_in_its_order():
    # https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
    header = link_header(URL, [("page", "3")], PageRequest.of("3", None), total=515 * 30)
    assert header == (
        f'<{URL}?page=2>; rel="prev", <{URL}?page=4>; rel="next", '
        f'<{URL}?page=515>; rel="last", <{URL}?page=1>; rel="first"'
    )


def test_first_and_last_pages_name_only_the_pages_that_exist():
    first = link_header(URL, [], PageRequest.of(None, "10"), total=25)
    assert first == f'<{URL}?page=2>; rel="next", <{URL}?page=3>; rel="last"'
    last = link_header(URL, [], PageRequest.of("3", "10"), total=25)
    assert last == f'<{URL}?page=2>; rel="prev", <{URL}?page=1>; rel="first"'


def test_no_header_when_everything_fits_on_one_page():
    assert link_header(URL, [], PageRequest.of(None, None), total=30) is None
    assert link_header(URL, [], PageRequest.of(None, None), total=0) is None


def test_links_keep_the_other_parameters_and_put_page_last():
    query = [("state", "all"), ("page", "1"), ("per_page", "2"), ("since", "2026-12-01T00:00:00Z")]
    header = link_header(URL, query, PageRequest.of("1", "2"), total=3)
    assert header == (
        f'<{URL}?state=all&per_page=2&since=2026-12-01T00%3A00%3A00Z&page=2>; rel="next", '
        f'<{URL}?state=all&per_page=2&since=2026-12-01T00%3A00%3A00Z&page=2>; rel="last"'
    )


@pytest.mark.parametrize(
    ("page", "per_page", "expected"),
    [
        (None, None, (1, 30)),
        ("2", "100", (2, 100)),
        ("2", "250", (2, 100)),  # at most 100
        ("0", "0", (1, 30)),
        ("x", "-5", (1, 30)),
    ],
)
def test_page_values_fall_back_or_clip(page, per_page, expected):
    request = PageRequest.of(page, per_page)
    assert (request.page, request.per_page) == expected
