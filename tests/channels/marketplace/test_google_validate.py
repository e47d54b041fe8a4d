"""Google Merchant Center feed: ``validate`` passes what the writer wrote and names what
Google would reject in a file, by item."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.feeds import FeedCertification, FeedPart
from channels.marketplace.google import GoogleMerchantChannel
from tests.channels.marketplace.builders import DirectorySink, feed_product, feed_spec

pytestmark = pytest.mark.usefixtures("english")

OPTIONS = {"shipping_price": "4.95"}
TSV = {"options": {**OPTIONS, "variant": "tsv"}}


@pytest.fixture
def channel():
    return GoogleMerchantChannel("google_merchant", {})


def spec(**overrides):
    return feed_spec(**{"options": OPTIONS, **overrides})


def write(channel, tmp_path, products, **spec_overrides) -> FeedPart:
    sink = DirectorySink(tmp_path)
    channel.write(spec(**spec_overrides), iter(products), sink)
    return sink.parts[0]


# --- validate -----------------------------------------------------------------------------


def test_a_written_rss_file_validates(channel, tmp_path):
    products = [
        feed_product(sku="A"),
        feed_product(sku="B", gtin="", manufacturer_part_number="", availability="on_request"),
        feed_product(sku="C", net_content=Decimal(250), net_content_unit="g"),
    ]

    part = write(channel, tmp_path, products)

    assert channel.validate(spec(), part) == []


def test_a_written_tsv_file_validates(channel, tmp_path):
    products = [
        feed_product(sku="A", certifications=(FeedCertification("EC", "EPREL", "1"),)),
        feed_product(sku="B", gtin="", manufacturer_part_number="", availability="on_request"),
    ]

    part = write(channel, tmp_path, products, **TSV)

    assert channel.validate(spec(**TSV), part) == []


GOOD_ITEM = """<item><g:id>{id}</g:id><g:title>Bohrer</g:title><g:description>Robust</g:description>
<g:link>https://shop.example.com/p</g:link><g:image_link>https://shop.example.com/i.jpg</g:image_link>
<g:availability>{availability}</g:availability><g:price>{price}</g:price><g:brand>ACME</g:brand>
<g:gtin>{gtin}</g:gtin><g:condition>new</g:condition></item>"""


def hand_written(tmp_path, *items_xml: str) -> FeedPart:
    path = tmp_path / "hand.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<title>T</title><link>https://shop.example.com/</link><description>D</description>"
        + "".join(items_xml)
        + "</channel></rss>",
        encoding="utf-8",
    )
    return FeedPart("hand.xml", path, len(items_xml), path.stat().st_size)


def item_xml(id="A", availability="in_stock", price="15.00 EUR", gtin="4006381333931"):
    return GOOD_ITEM.format(id=id, availability=availability, price=price, gtin=gtin)


def test_validate_passes_a_hand_written_good_file(channel, tmp_path):
    assert channel.validate(spec(), hand_written(tmp_path, item_xml("A"), item_xml("B"))) == []


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (item_xml(price="15 EUR"), 'B: price "15 EUR"'),
        (item_xml(price="15.00 euro"), 'B: price "15.00 euro"'),
        (item_xml(availability="on_request"), 'B: availability "on_request"'),
        (item_xml(availability="backorder"), "B: backorder without availability_date"),
        (item_xml(gtin="4006381333932"), "B: gtin 4006381333932"),
        (item_xml(id="X" * 51), "has 51 characters"),
        (item_xml().replace("<g:brand>ACME</g:brand>", ""), "B: brand is missing"),
        (item_xml().replace("<g:brand>ACME</g:brand>", "<brand>ACME</brand>"), "<brand>"),
        (item_xml().replace("<g:brand>", '<g:brand xmlns:g="urn:x">'), "namespace"),
    ],
)
def test_validate_finds_a_planted_error(channel, tmp_path, item, problem):
    part = hand_written(tmp_path, item_xml("A"), item.replace("<g:id>A<", "<g:id>B<", 1))

    errors = channel.validate(spec(), part)

    assert any(problem in error for error in errors), errors


def test_validate_finds_a_duplicate_id(channel, tmp_path):
    part = hand_written(tmp_path, item_xml("A"), item_xml("A"))

    assert channel.validate(spec(), part) == ["A: the id is not unique"]


def test_validate_reports_a_file_that_is_not_well_formed(channel, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<rss version='2.0'><channel><item>", encoding="utf-8")

    errors = channel.validate(spec(), FeedPart("broken.xml", path, 0, 0))

    assert errors and "not well-formed" in errors[0]


def test_validate_finds_a_planted_error_in_a_tsv_file(channel, tmp_path):
    path = tmp_path / "hand.tsv"
    header = "id\ttitle\tdescription\tlink\timage_link\tavailability\tprice\tbrand\tcondition"
    row = "A\tBohrer\tRobust\thttps://s.example/p\thttps://s.example/i.jpg\tin_stock\t{}\tACME\tnew"
    path.write_text("\n".join([header, row.format("15.00 EUR"), row.format("15,00 EUR")]) + "\n")
    part = FeedPart("hand.tsv", path, 2, path.stat().st_size)

    errors = channel.validate(spec(**TSV), part)

    assert any('price "15,00 EUR"' in error for error in errors), errors
    assert any("the id is not unique" in error for error in errors), errors
    assert any("neither gtin nor mpn" in error for error in errors), errors
