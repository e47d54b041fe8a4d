"""What counts as a change of a product for a delta file."""

import dataclasses
from decimal import Decimal

from campaigns.feeds.deltas import changes_between, product_hashes
from campaigns.models import FeedItem
from channels.feeds import FeedAsset
from tests.channels.marketplace.builders import feed_product, feed_text


def held(product) -> FeedItem:
    hashes = product_hashes(product)
    return FeedItem(content_hash=hashes.content, price_hash=hashes.price, stock_hash=hashes.stock)


def changes(before, after) -> set[str]:
    return set(changes_between(product_hashes(after), held(before)))


def test_the_same_product_prepared_again_is_unchanged():
    assert changes(feed_product(), feed_product()) == set()


def test_a_new_text_is_a_content_change():
    before = feed_product()
    after = feed_product(texts={**before.texts, "de": feed_text("de", name="Neu")})

    assert changes(before, after) == {"content"}


def test_a_new_price_group_price_is_a_price_change():
    before = feed_product()

    after = dataclasses.replace(
        before, group_prices={"A": Decimal("98.00"), "B": Decimal("109.50")}
    )

    assert changes(before, after) == {"price"}


def test_the_same_price_written_differently_is_unchanged():
    before = feed_product(price=Decimal("129.00"))

    assert changes(before, feed_product(price=Decimal("129"))) == set()


def test_price_and_stock_together_are_both_named():
    before = feed_product()

    after = feed_product(price=Decimal("130.00"), availability="out_of_stock", lead_time_days=9)

    assert changes(before, after) == {"price", "stock"}


def test_a_content_change_is_sent_whole_whatever_else_changed():
    before = feed_product()

    after = feed_product(brand="Other", price=Decimal("1.00"))

    assert changes(before, after) == {"content"}


def test_only_the_time_of_the_last_edit_changing_is_unchanged():
    before = feed_product()

    assert changes(before, dataclasses.replace(before, updated_at=None)) == set()


def test_a_signed_image_url_signed_again_is_unchanged():
    def signed(signature):
        url = (
            f"https://bucket.s3.amazonaws.com/original_images/bs18.jpg?X-Amz-Signature={signature}"
        )
        return feed_product(images=(FeedAsset(url, "image/jpeg", "bs18.jpg", "Front"),))

    assert changes(signed("aaa"), signed("bbb")) == set()


def test_another_image_file_is_a_content_change():
    before = feed_product()

    after = feed_product(images=before.images[:1])

    assert changes(before, after) == {"content"}


def test_a_product_new_to_the_receiver_is_sent_whole():
    assert changes_between(product_hashes(feed_product()), None) == {"content"}
