"""Two workers start the same feed at the same moment: one runs it, the other stands back.

PostgreSQL only: the claim locks the feed's row (``select_for_update``), which the embedded
SQLite does not do (it runs one writer at a time, so the race cannot occur there).
"""

import threading

import pytest
from django.db import connection, connections

from campaigns.feeds.runs import FeedRunBusy, feed_generate
from campaigns.models import Feed, FeedRun
from tests.campaigns.feeds import fake_channel
from tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_two_workers_starting_one_feed_at_once_run_it_once(make_feed, monkeypatch):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    start = threading.Barrier(2)
    loser_done = threading.Event()
    outcomes = []

    def hold_the_run_until_the_other_worker_gave_up(spec):
        loser_done.wait(timeout=20)

    monkeypatch.setattr(fake_channel, "DURING_WRITE", [hold_the_run_until_the_other_worker_gave_up])

    def worker():
        try:
            start.wait(timeout=10)
            try:
                outcomes.append(feed_generate(feed=Feed.objects.get(pk=feed.pk)).status)
            except FeedRunBusy:
                outcomes.append("busy")
                loser_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["busy", "succeeded"]
    assert FeedRun.objects.filter(feed=feed).count() == 1
