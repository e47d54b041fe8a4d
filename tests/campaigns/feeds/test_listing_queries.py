"""The feed listing in the admin costs the same queries for any page size."""

import itertools

from tests.listing_queries import assert_constant_queries

serial = itertools.count()


def test_feed_listing_queries_do_not_grow_with_rows(client, make_user, make_feed):
    client.force_login(make_user(is_superuser=True))

    def feeds(n):
        for _ in range(n):
            index = next(serial)
            make_feed(name=f"Marktplatz {index}", slug=f"markt-{index}")

    assert_constant_queries(client, "/admin/snippets/campaigns/feed/", feeds)
