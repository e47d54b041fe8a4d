"""A feed run: what goes into the file, what is refused, and what is served after a failure."""

import datetime as dt
import types

import pytest
import time_machine
from django.core.files.storage import default_storage

from campaigns.feeds.runs import FeedRunBusy, feed_generate, stale_runs_abandon
from campaigns.models import Feed, FeedRefusal, FeedRun
from tests.campaigns.feeds import fake_channel
from tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def served(client, token, name="feed.txt"):
    response = client.get(f"/feeds/{token}/{name}")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def skus_in(body: bytes) -> list[str]:
    return [line.split("\t")[0] for line in body.decode().splitlines() if not line.startswith("#")]


def test_a_run_writes_live_complete_products_and_serves_the_file(client, make_feed):
    feed, token = make_feed()
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    ProductFactory(sku="A-2", name="Säge", live=True)

    run = feed_generate(feed=feed)

    assert run.status == "succeeded"
    response, body = served(client, token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert body.decode().splitlines() == [
        "# fake full",
        "A-1\t\tBohrer\t19.90\tin_stock",
        "A-2\t\tSäge\t19.90\tin_stock",
    ]
    assert (run.candidates, run.written, run.refused) == (2, 2, 0)


def test_drafts_and_withdrawn_products_never_appear_in_the_file(client, make_feed):
    feed, token = make_feed()
    ProductFactory(sku="LIVE", live=True)
    ProductFactory(sku="DRAFT", live=False)
    withdrawn = ProductFactory(sku="GONE", live=True)
    withdrawn.unpublish()

    feed_generate(feed=feed)

    _response, body = served(client, token)
    assert skus_in(body) == ["LIVE"]
    assert not FeedRefusal.objects.filter(sku__in=["DRAFT", "GONE"]).exists()


def test_incomplete_products_are_refused_with_what_they_lack(client, make_feed):
    feed, token = make_feed()
    ProductFactory(sku="OK", live=True)
    no_gtin = ProductFactory(sku="NO-GTIN", gtin="", live=True)
    ProductFactory(sku="NO-PRICE", price=None, live=True)

    run = feed_generate(feed=feed)

    _response, body = served(client, token)
    assert skus_in(body) == ["OK"]
    report = {row.sku: (row.product_id, row.reasons) for row in run.refusals.all()}
    assert report == {
        "NO-GTIN": (no_gtin.pk, ["Missing: GTIN"]),
        "NO-PRICE": (report["NO-PRICE"][0], ["No price for this receiver."]),
    }
    assert run.refused == 2


def test_a_file_that_does_not_validate_leaves_the_last_good_file_served(
    client, make_feed, fake_feed_channel
):
    feed, token = make_feed()
    ProductFactory(sku="A-1", live=True)
    good = feed_generate(feed=feed)
    before, good_body = served(client, token)
    ProductFactory(sku="A-2", live=True)
    fake_feed_channel(INVALID="Element 'item': missing child 'price'.")

    failed = feed_generate(feed=feed)

    feed.refresh_from_db()
    after, body = served(client, token)
    assert failed.status == "failed"
    assert "missing child 'price'" in failed.error
    assert feed.current_run == good
    assert body == good_body
    assert after["ETag"] == before["ETag"]
    assert not failed.parts


def test_a_worker_killed_mid_run_leaves_the_served_file_and_stores_nothing(
    client, make_feed, fake_feed_channel
):
    feed, token = make_feed(options={"shop_name": "Hubwerk", "per_part": 1})
    ProductFactory(sku="A-1", live=True)
    good = feed_generate(feed=feed)
    _before, good_body = served(client, token)
    ProductFactory(sku="A-2", live=True)
    ProductFactory(sku="A-3", live=True)
    fake_feed_channel(EXPLODE_AFTER=2)

    failed = feed_generate(feed=feed)

    feed.refresh_from_db()
    _after, body = served(client, token)
    assert failed.status == "failed"
    assert "WorkerKilled" in failed.error
    assert feed.current_run == good
    assert body == good_body
    assert not default_storage.exists(f"feeds/fake/{failed.pk}/feed.txt")


def test_a_run_whose_worker_died_blocks_the_feed_only_until_its_lease_lapses(make_feed):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    with time_machine.travel(NOW, tick=False):
        stuck = FeedRun.objects.create(
            feed=feed,
            started_at=NOW,
            lease_until=NOW + dt.timedelta(minutes=30),
            trigger="manual",
        )
        with pytest.raises(FeedRunBusy):
            feed_generate(feed=feed)

    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        run = feed_generate(feed=feed)

    stuck.refresh_from_db()
    feed.refresh_from_db()
    assert stuck.status == "failed"
    assert "lease lapsed" in stuck.error
    assert run.status == "succeeded"
    assert feed.current_run == run


def test_the_beat_gives_up_stale_runs_and_returns_their_changes(make_feed):
    feed, _token = make_feed()
    with time_machine.travel(NOW, tick=False):
        stuck = FeedRun.objects.create(
            feed=feed,
            started_at=NOW,
            lease_until=NOW + dt.timedelta(minutes=30),
            trigger="change",
            changes_since=NOW - dt.timedelta(minutes=1),
        )

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        abandoned = stale_runs_abandon()

    stuck.refresh_from_db()
    feed.refresh_from_db()
    assert abandoned == 1
    assert stuck.status == "failed"
    assert feed.dirty_since == NOW - dt.timedelta(minutes=1)


def test_files_of_all_but_the_last_three_good_runs_are_deleted(make_feed):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)

    runs = [feed_generate(feed=feed) for _ in range(5)]

    kept = [default_storage.exists(run.parts[0]["path"]) for run in runs]
    assert kept == [False, False, True, True, True]


def test_deleting_a_feed_deletes_its_files(make_feed, django_capture_on_commit_callbacks):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    run = feed_generate(feed=feed)
    assert default_storage.exists(run.parts[0]["path"])

    with django_capture_on_commit_callbacks(execute=True):
        feed.delete()

    assert not default_storage.exists(run.parts[0]["path"])
    assert not default_storage.exists(run.parts[0]["gzip_path"])


def test_a_feed_runs_once_at_a_time(make_feed, monkeypatch):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    second_tries = []

    def start_another_run(spec):
        with pytest.raises(FeedRunBusy):
            feed_generate(feed=Feed.objects.get(pk=feed.pk))
        second_tries.append(spec.feed_key)

    monkeypatch.setattr(fake_channel, "DURING_WRITE", [start_another_run])

    run = feed_generate(feed=feed)

    assert second_tries == ["fake"]
    assert run.status == "succeeded"
    assert FeedRun.objects.filter(feed=feed).count() == 1


def test_a_format_removed_from_the_settings_fails_runs_but_the_file_stays_served(
    client, make_feed, settings
):
    feed, token = make_feed()
    ProductFactory(sku="A-1", live=True)
    good = feed_generate(feed=feed)
    settings.HUB_CHANNELS = {
        key: value for key, value in settings.HUB_CHANNELS.items() if key != "fakefeed"
    }

    failed = feed_generate(feed=feed)

    assert failed.status == "failed"
    assert "not a feed channel" in failed.error
    response = client.get(f"/feeds/{token}/feed.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["ETag"] == f'"{good.parts[0]["sha256"]}"'


def test_old_reports_and_runs_are_pruned(make_feed, monkeypatch):
    from campaigns.feeds import storage

    monkeypatch.setattr(storage, "KEEP_REPORTS", 1)
    monkeypatch.setattr(storage, "KEEP_HISTORY", 2)
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    ProductFactory(sku="NO-GTIN", gtin="", live=True)

    runs = [feed_generate(feed=feed) for _ in range(5)]

    assert list(FeedRun.objects.filter(feed=feed).order_by("pk")) == runs[-3:]
    assert sorted(FeedRefusal.objects.values_list("run_id", flat=True)) == [
        runs[-2].pk,
        runs[-1].pk,
    ]


def test_the_writer_gets_the_products_as_a_stream_not_a_list(make_feed, monkeypatch):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    seen = []
    write = fake_channel.FakeFeedChannel.write

    def recording_write(self, spec, products, sink):
        seen.append(type(products))
        return write(self, spec, products, sink)

    monkeypatch.setattr(fake_channel.FakeFeedChannel, "write", recording_write)

    feed_generate(feed=feed)

    assert seen == [types.GeneratorType]
