"""What makes a feed due: a publish, a withdrawal, a price import, its schedule."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from campaigns.feeds.runs import feed_generate
from campaigns.feeds.triggers import feeds_due
from campaigns.models import Feed, FeedRun
from campaigns.services.prices import GroupPriceInput, group_prices_record
from campaigns.tasks import feed_generate as feed_generate_task
from campaigns.tasks import feeds_regenerate_due
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def served_skus(client, token) -> list[str]:
    response = client.get(f"/feeds/{token}/feed.txt")
    text = b"".join(response.streaming_content).decode()
    return [line.split("\t")[0] for line in text.splitlines() if not line.startswith("#")]


@pytest.fixture
def clean_feed(make_feed):
    """A feed that has its first file and nothing waiting."""
    ProductFactory(sku="A-1", live=True)
    feed, token = make_feed()
    with time_machine.travel(NOW, tick=False):
        feed_generate(feed=feed)
    feed.refresh_from_db()
    assert feed.dirty_since is None
    return feed, token


def test_publishing_a_product_marks_the_feed_and_the_beat_regenerates_it(client, clean_feed):
    feed, token = clean_feed
    draft = ProductFactory(sku="B-1", live=False)

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        draft.save_revision().publish()
        feed.refresh_from_db()
        assert feed.dirty_since == NOW + dt.timedelta(minutes=5)
        feeds_regenerate_due()

    feed.refresh_from_db()
    assert feed.current_run.trigger == "change"
    assert feed.dirty_since is None
    assert served_skus(client, token) == ["A-1", "B-1"]


def test_withdrawing_a_product_takes_it_out_of_the_next_file(client, clean_feed):
    _feed, token = clean_feed
    from content.models import Product

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        Product.objects.get(sku="A-1").unpublish()
        feeds_regenerate_due()

    assert served_skus(client, token) == []


def test_a_price_import_marks_the_feeds(clean_feed):
    feed, _token = clean_feed

    group_prices_record(items=[GroupPriceInput("A-1", "H", Decimal("12.00"))])

    feed.refresh_from_db()
    assert feed.dirty_since is not None
    assert feeds_due() == [(feed.pk, "change")]


def test_a_rolled_back_change_leaves_no_mark(clean_feed):
    feed, _token = clean_feed

    with pytest.raises(RuntimeError), transaction.atomic():
        group_prices_record(items=[GroupPriceInput("A-1", "H", Decimal("12.00"))])
        raise RuntimeError("import failed later")

    feed.refresh_from_db()
    assert feed.dirty_since is None


def test_an_unchanged_feed_without_a_schedule_is_never_due(clean_feed):
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        assert feeds_due() == []


def test_a_scheduled_feed_is_due_once_its_interval_passed(clean_feed):
    feed, _token = clean_feed
    Feed.objects.filter(pk=feed.pk).update(schedule_minutes=60)

    with time_machine.travel(NOW + dt.timedelta(minutes=59), tick=False):
        assert feeds_due() == []
    with time_machine.travel(NOW + dt.timedelta(minutes=60), tick=False):
        assert feeds_due() == [(feed.pk, "schedule")]


def test_a_new_feed_is_due_at_once(make_feed):
    feed, _token = make_feed()

    assert feeds_due() == [(feed.pk, "schedule")]


def test_an_inactive_feed_is_not_due(make_feed):
    make_feed(active=False)

    assert feeds_due() == []


def test_after_a_failed_run_changes_wait_before_the_next_try(clean_feed, fake_feed_channel):
    feed, _token = clean_feed
    fake_feed_channel(INVALID="broken")
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        group_prices_record(items=[GroupPriceInput("A-1", "H", Decimal("12.00"))])
        failed = feed_generate(feed=feed, trigger="change")
    assert failed.status == "failed"
    feed.refresh_from_db()
    assert feed.dirty_since == NOW + dt.timedelta(minutes=1)

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert feeds_due() == []
    with time_machine.travel(NOW + dt.timedelta(minutes=12), tick=False):
        assert feeds_due() == [(feed.pk, "change")]


def test_a_feed_with_a_live_run_is_not_queued_again(clean_feed):
    feed, _token = clean_feed
    Feed.objects.filter(pk=feed.pk).update(dirty_since=NOW)
    FeedRun.objects.create(
        feed=feed,
        started_at=NOW,
        lease_until=NOW + dt.timedelta(minutes=30),
        trigger="change",
    )

    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert feeds_due() == []


def test_the_beat_looks_for_due_feeds_every_30_seconds(settings):
    from hub.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["feeds-regenerate"]

    assert entry["schedule"] == 30.0
    assert entry["task"] in app.tasks
    assert "campaigns.tasks.feed_generate" in app.tasks


def test_feed_runs_go_to_the_export_queue_and_the_beat_task_to_the_default_one():
    from hub.celery import app

    def queue(task):
        return app.amqp.router.route({}, task)["queue"].name

    assert queue("campaigns.tasks.feed_generate") == "export"
    assert queue("campaigns.tasks.feeds_regenerate_due") == "default"


def test_a_change_queued_twice_is_written_once(clean_feed):
    feed, _token = clean_feed
    group_prices_record(items=[GroupPriceInput("A-1", "H", Decimal("12.00"))])

    feed_generate_task(feed.pk, "change")
    feed_generate_task(feed.pk, "change")

    assert FeedRun.objects.filter(feed=feed, trigger="change").count() == 1
