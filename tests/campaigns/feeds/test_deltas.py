"""Delta files: only what changed since the receiver's last good file."""

from decimal import Decimal

import pytest

from campaigns.feeds.runs import feed_generate
from campaigns.services.prices import GroupPriceInput, group_prices_record
from content.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def lines(client, token) -> dict[str, list[str]]:
    """The served file as SKU -> [changes, name, price, availability]; header as "#"."""
    response = client.get(f"/feeds/{token}/feed.txt")
    body = b"".join(response.streaming_content).decode()
    rows = {}
    for line in body.splitlines():
        if line.startswith("#"):
            rows["#"] = [line]
        else:
            sku, *rest = line.split("\t")
            rows[sku] = rest
    return rows


@pytest.fixture
def delta_feed(make_feed):
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    ProductFactory(sku="A-2", name="Säge", live=True)
    ProductFactory(sku="A-3", name="Hammer", live=True)
    group_prices_record(
        items=[GroupPriceInput(sku, "H", Decimal("10.00")) for sku in ("A-1", "A-2", "A-3")]
    )
    feed, token = make_feed(deltas=True, price_group="H")
    first = feed_generate(feed=feed)
    assert first.kind == "full"
    return feed, token


def test_a_content_change_is_sent_whole(client, delta_feed):
    feed, token = delta_feed
    Product.objects.filter(sku="A-2").update(name="Kreissäge")

    run = feed_generate(feed=feed)

    assert run.kind == "delta"
    assert lines(client, token) == {
        "#": ["# fake delta"],
        "A-2": ["content", "Kreissäge", "10.00", "in_stock"],
    }
    assert (run.written, run.unchanged) == (1, 2)


def test_a_price_import_sends_the_price(client, delta_feed):
    feed, token = delta_feed

    group_prices_record(items=[GroupPriceInput("A-3", "H", Decimal("8.50"))])
    run = feed_generate(feed=feed)

    assert lines(client, token) == {
        "#": ["# fake delta"],
        "A-3": ["price", "Hammer", "8.50", "in_stock"],
    }
    assert run.written == 1


def test_a_stock_change_sends_the_stock(client, delta_feed):
    feed, token = delta_feed
    Product.objects.filter(sku="A-1").update(availability="out_of_stock")

    feed_generate(feed=feed)

    assert lines(client, token)["A-1"] == ["stock", "Bohrer", "10.00", "out_of_stock"]


def test_a_withdrawn_product_is_sent_as_withdrawn_with_its_name(client, delta_feed):
    feed, token = delta_feed
    Product.objects.get(sku="A-1").unpublish()

    run = feed_generate(feed=feed)

    assert lines(client, token) == {
        "#": ["# fake delta"],
        "A-1": ["withdrawn", "Bohrer", "", ""],
    }
    assert run.withdrawn == 1
    assert not feed.items.filter(sku="A-1").exists()


def test_a_product_now_refused_is_withdrawn_from_the_receiver(client, delta_feed):
    feed, token = delta_feed
    Product.objects.filter(sku="A-2").update(gtin="")

    run = feed_generate(feed=feed)

    assert lines(client, token)["A-2"][0] == "withdrawn"
    assert run.refusals.get().sku == "A-2"


def test_nothing_changed_writes_no_file_and_keeps_the_served_one(client, delta_feed):
    feed, _token = delta_feed
    served_before = feed.current_run

    run = feed_generate(feed=feed)

    feed.refresh_from_db()
    assert run.status == "unchanged"
    assert run.unchanged == 3
    assert feed.current_run == served_before


def test_a_full_file_can_be_forced(client, delta_feed):
    feed, token = delta_feed
    Product.objects.filter(sku="A-2").update(name="Kreissäge")

    run = feed_generate(feed=feed, full=True)

    assert run.kind == "full"
    assert sorted(lines(client, token)) == ["#", "A-1", "A-2", "A-3"]


def test_after_a_failed_delta_the_next_sends_the_change_again(
    client, delta_feed, fake_feed_channel
):
    feed, token = delta_feed
    Product.objects.filter(sku="A-2").update(name="Kreissäge")
    fake_feed_channel(INVALID="broken")
    assert feed_generate(feed=feed).status == "failed"
    fake_feed_channel()

    feed_generate(feed=feed)

    assert lines(client, token)["A-2"] == ["content", "Kreissäge", "10.00", "in_stock"]


def test_formats_without_deltas_always_get_full_files(client, make_feed):
    ProductFactory(sku="A-1", live=True)
    ProductFactory(sku="A-2", live=True)
    feed, token = make_feed(channel="fakefull", deltas=True)
    feed_generate(feed=feed)
    Product.objects.filter(sku="A-2").update(name="Neu")

    run = feed_generate(feed=feed)

    assert run.kind == "full"
    assert sorted(lines(client, token)) == ["#", "A-1", "A-2"]
