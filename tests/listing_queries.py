"""Query counts of admin listings: a page of N rows must cost what a page of 3N rows costs."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def listing_queries(client, url: str) -> CaptureQueriesContext:
    """Render ``url`` once and return the queries it ran (the response must be a 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return queries


def assert_constant_queries(client, url: str, make_rows: Callable[[int], object], rows: int = 4):
    """Render ``url`` with ``rows`` rows, then with three times as many: same query count.

    ``make_rows(n)`` adds ``n`` more rows to the listing. The first render warms caches that
    are filled once per process (content types, locales), so they don't count against
    either page.
    """
    make_rows(rows)
    client.get(url)
    few = listing_queries(client, url)
    make_rows(2 * rows)
    many = listing_queries(client, url)
    assert len(many) == len(few), "\n".join(
        [f"{len(few)} queries for {rows} rows, {len(many)} for {3 * rows}:"]
        + [query["sql"][:300] + " ... " + query["sql"][-200:] for query in many.captured_queries]
    )
    return len(few)
