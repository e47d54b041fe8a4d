"""Google Merchant Center feed: what Google would read from the written file."""

from __future__ import annotations

import collections
import csv
import dataclasses
import weakref
from decimal import Decimal

import pytest
from django.utils import translation
from lxml import etree

from channels.feeds import FeedAsset, FeedCertification, FeedFeature, FeedPart
from channels.marketplace.google import GoogleMerchantChannel
from channels.marketplace.google_rules import split_cell
from tests.channels.marketplace.builders import DirectorySink, feed_product, feed_spec, feed_text

pytestmark = pytest.mark.usefixtures("english")

G = "{http://base.google.com/ns/1.0}"
OPTIONS = {"shipping_price": "4.95"}


@pytest.fixture
def channel():
    return GoogleMerchantChannel("google_merchant", {})


def spec(**overrides):
    return feed_spec(**{"options": OPTIONS, **overrides})


def write(channel, tmp_path, products, **spec_overrides) -> FeedPart:
    sink = DirectorySink(tmp_path)
    channel.write(spec(**spec_overrides), iter(products), sink)
    assert len(sink.parts) == 1
    return sink.parts[0]


def items(part: FeedPart) -> list[etree._Element]:
    return etree.parse(str(part.path)).getroot().findall("channel/item")


def only_item(channel, tmp_path, product=None, **spec_overrides) -> etree._Element:
    (item,) = items(write(channel, tmp_path, [product or feed_product()], **spec_overrides))
    return item


def g(item, name: str) -> str | None:
    return item.findtext(G + name)


def tsv_rows(part: FeedPart) -> list[dict[str, str]]:
    with part.path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


# --- the RSS file -----------------------------------------------------------------------


def test_the_file_is_rss_2_with_the_google_namespace_and_a_described_channel(channel, tmp_path):
    part = write(channel, tmp_path, [feed_product()])

    root = etree.parse(str(part.path)).getroot()
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert root.nsmap["g"] == "http://base.google.com/ns/1.0"
    assert root.findtext("channel/title") == "Test feed"
    assert root.findtext("channel/link") == "https://shop.example.com/"
    assert root.findtext("channel/description")
    assert part.name == "google.xml"


def test_an_item_says_id_title_description_and_link_in_the_feed_language(channel, tmp_path):
    item = only_item(channel, tmp_path)

    assert g(item, "id") == "BS-18"
    assert g(item, "title") == "Akku-Bohrschrauber BS 18"
    assert g(item, "description") == "Robust.\n\nMit Koffer."
    assert g(item, "link") == "https://shop.example.com/de/p/BS-18"


def test_an_english_feed_takes_the_english_text(channel, tmp_path):
    item = only_item(channel, tmp_path, languages=("en",))

    assert g(item, "title") == "Cordless drill BS 18"
    assert g(item, "link") == "https://shop.example.com/en/p/BS-18"


def test_without_long_text_the_description_is_the_short_text(channel, tmp_path):
    product = feed_product(texts={"de": feed_text("de", long_text="", long_html="")})

    item = only_item(channel, tmp_path, product)

    assert g(item, "description") == "18 V, 2 Akkus"


def test_text_is_escaped_and_reads_back_unchanged(channel, tmp_path):
    product = feed_product(texts={"de": feed_text("de", name='Bohrer "Profi" <18V> & Co')})

    item = only_item(channel, tmp_path, product)

    assert g(item, "title") == 'Bohrer "Profi" <18V> & Co'


def test_the_first_image_is_the_image_link_and_at_most_ten_more_follow(channel, tmp_path):
    images = tuple(
        FeedAsset(f"https://hub.example.com/media/{n}.jpg", "image/jpeg", f"{n}.jpg")
        for n in range(12)
    )

    item = only_item(channel, tmp_path, feed_product(images=images))

    assert g(item, "image_link") == "https://hub.example.com/media/0.jpg"
    assert [e.text for e in item.findall(G + "additional_image_link")] == [
        f"https://hub.example.com/media/{n}.jpg" for n in range(1, 11)
    ]


@pytest.mark.parametrize(
    ("availability", "google"),
    [
        ("in_stock", "in_stock"),
        ("low_stock", "in_stock"),
        ("out_of_stock", "out_of_stock"),
        ("discontinued", "out_of_stock"),
        ("on_request", "backorder"),
    ],
)
def test_availability_is_google_s_value(channel, tmp_path, availability, google):
    item = only_item(channel, tmp_path, feed_product(availability=availability))

    assert g(item, "availability") == google


def test_a_backorder_ships_after_the_lead_time(channel, tmp_path):
    product = feed_product(availability="on_request", lead_time_days=14)

    item = only_item(channel, tmp_path, product)

    assert g(item, "availability_date") == "2026-12-15T09:30+0000"


def test_an_item_in_stock_has_no_availability_date(channel, tmp_path):
    item = only_item(channel, tmp_path, feed_product(availability="in_stock"))

    assert g(item, "availability_date") is None


def test_the_price_is_the_gross_list_price_with_currency(channel, tmp_path):
    item = only_item(channel, tmp_path, feed_product(price=Decimal("129.00")))

    assert g(item, "price") == "153.51 EUR"


def test_the_gross_price_is_rounded_half_up(channel, tmp_path):
    # 0.50 + 5 % = 0.525: half up gives 0.53 (half even would give 0.52).
    item = only_item(channel, tmp_path, feed_product(price=Decimal("0.50")), vat_rate=Decimal(5))

    assert g(item, "price") == "0.53 EUR"


def test_a_price_group_price_is_never_used(channel, tmp_path):
    product = feed_product(price=Decimal("129.00"), group_prices={"A": Decimal("99.00")})

    item = only_item(channel, tmp_path, product, price_group="A")

    assert g(item, "price") == "153.51 EUR"


def test_brand_gtin_and_mpn_are_given(channel, tmp_path):
    item = only_item(channel, tmp_path)

    assert g(item, "brand") == "ACME"
    assert g(item, "gtin") == "4006381333931"
    assert g(item, "mpn") == "ACME-BS18"
    assert g(item, "identifier_exists") is None


def test_without_gtin_the_mpn_identifies_the_product(channel, tmp_path):
    item = only_item(channel, tmp_path, feed_product(gtin=""))

    assert g(item, "gtin") is None
    assert g(item, "mpn") == "ACME-BS18"
    assert g(item, "identifier_exists") is None


def test_without_gtin_and_mpn_the_item_says_no_identifier_exists(channel, tmp_path):
    item = only_item(channel, tmp_path, feed_product(gtin="", manufacturer_part_number=""))

    assert g(item, "gtin") is None
    assert g(item, "mpn") is None
    assert g(item, "identifier_exists") == "no"


def test_the_condition_is_new_unless_the_receiver_says_otherwise(channel, tmp_path):
    new = only_item(channel, tmp_path)
    used = only_item(channel, tmp_path, options={**OPTIONS, "condition": "used"})

    assert g(new, "condition") == "new"
    assert g(used, "condition") == "used"


def test_shipping_names_country_service_and_price(channel, tmp_path):
    options = {"shipping_price": "4.9", "shipping_service": "Standard"}

    item = only_item(channel, tmp_path, options=options)

    shipping = item.find(G + "shipping")
    assert shipping.findtext(G + "country") == "DE"
    assert shipping.findtext(G + "service") == "Standard"
    assert shipping.findtext(G + "price") == "4.90 EUR"


def test_the_category_path_is_the_product_type(channel, tmp_path):
    item = only_item(channel, tmp_path)

    assert g(item, "product_type") == "Werkzeuge > Akkuwerkzeuge"
    assert g(item, "google_product_category") is None


def test_a_google_product_category_comes_from_the_options(channel, tmp_path):
    item = only_item(channel, tmp_path, options={**OPTIONS, "google_product_category": "1167"})

    assert g(item, "google_product_category") == "1167"


def details(item) -> list[tuple[str, str, str]]:
    return [
        (
            detail.findtext(G + "section_name"),
            detail.findtext(G + "attribute_name"),
            detail.findtext(G + "attribute_value"),
        )
        for detail in item.findall(G + "product_detail")
    ]


def test_technical_features_are_product_details(channel, tmp_path):
    item = only_item(channel, tmp_path)

    # "Farbe" has only an ETIM value code, which says nothing to a shopper: left out.
    assert details(item) == [
        ("Technische Daten", "Spannung", "18 V"),
        ("Technische Daten", "Mit Akku", "ja"),
        ("Technische Daten", "Drehmoment", "20-45 Nm"),
    ]


def test_product_details_are_in_the_feed_language(channel, tmp_path):
    features = (
        FeedFeature("Voltage", "18", "V"),
        FeedFeature("With battery", "false", "", "", "L"),
    )
    product = feed_product(texts={"en": feed_text("en", features=features)})

    item = only_item(channel, tmp_path, product, languages=("en",))

    assert details(item) == [
        ("Technical data", "Voltage", "18 V"),
        ("Technical data", "With battery", "no"),
    ]


@pytest.mark.parametrize(
    ("content", "unit", "measure", "base"),
    [
        ("250", "g", "0.25kg", "1kg"),
        ("1.5", "kg", "1.5kg", "1kg"),
        ("750", "ml", "0.75l", "1l"),
        ("50", "m", "50m", "1m"),
        ("25", "cm", "0.25m", "1m"),
        ("2.5", "m2", "2.5sqm", "1sqm"),
        ("0.5", "m3", "0.5cbm", "1cbm"),
    ],
)
def test_a_product_sold_by_measure_has_a_unit_price(
    channel, tmp_path, content, unit, measure, base
):
    product = feed_product(net_content=Decimal(content), net_content_unit=unit)

    item = only_item(channel, tmp_path, product)

    assert g(item, "unit_pricing_measure") == measure
    assert g(item, "unit_pricing_base_measure") == base


def test_a_unit_google_does_not_know_gives_no_unit_price(channel, tmp_path):
    product = feed_product(net_content=Decimal(10), net_content_unit="pcs")

    item = only_item(channel, tmp_path, product)

    assert g(item, "unit_pricing_measure") is None
    assert g(item, "unit_pricing_base_measure") is None


def test_certifications_are_given(channel, tmp_path):
    product = feed_product(certifications=(FeedCertification("EC", "EPREL", "123456"),))

    item = only_item(channel, tmp_path, product)

    certification = item.find(G + "certification")
    assert certification.findtext(G + "certification_authority") == "EC"
    assert certification.findtext(G + "certification_name") == "EPREL"
    assert certification.findtext(G + "certification_code") == "123456"


def test_every_product_is_one_item_in_order(channel, tmp_path):
    products = [feed_product(sku=f"SKU-{n}") for n in range(3)]

    part = write(channel, tmp_path, products)

    assert [g(item, "id") for item in items(part)] == ["SKU-0", "SKU-1", "SKU-2"]


def test_no_products_give_an_empty_channel(channel, tmp_path):
    part = write(channel, tmp_path, [], options={**OPTIONS, "shop_url": "https://shop.example/"})

    assert items(part) == []
    assert channel.validate(spec(), part) == []


# --- refusals -----------------------------------------------------------------------------


def test_a_complete_product_is_accepted(channel):
    assert channel.refusals(feed_product(), spec()) == ()


def refusals_of(channel, product, **spec_overrides) -> str:
    return " | ".join(channel.refusals(product, spec(**spec_overrides)))


def test_a_product_without_text_in_the_feed_language_is_refused(channel):
    product = feed_product(texts={"en": feed_text("en")})

    with translation.override("en"):
        reasons = refusals_of(channel, product)

    assert "No German text." in reasons


def test_an_id_over_50_characters_is_refused_with_its_length(channel):
    assert "51 characters" in refusals_of(channel, feed_product(sku="X" * 51))
    assert refusals_of(channel, feed_product(sku="X" * 50)) == ""


def test_a_title_over_150_characters_is_refused_with_its_length(channel):
    product = feed_product(texts={"de": feed_text("de", name="T" * 151)})

    assert "The title has 151 characters" in refusals_of(channel, product)


def test_a_description_over_5000_characters_is_refused_with_its_length(channel):
    product = feed_product(texts={"de": feed_text("de", long_text="D" * 5001)})

    assert "The description has 5001 characters" in refusals_of(channel, product)


@pytest.mark.parametrize(
    "overrides",
    [{"name": "Bohrer <b>BS 18</b>"}, {"long_text": "Robust.<br>Mit Koffer."}],
)
def test_html_in_title_or_description_is_refused(channel, overrides):
    product = feed_product(texts={"de": feed_text("de", **overrides)})

    assert "holds HTML" in refusals_of(channel, product)


def test_control_characters_are_refused_but_line_breaks_and_tabs_are_not(channel):
    broken = feed_product(texts={"de": feed_text("de", long_text="Robust.\x07")})
    fine = feed_product(texts={"de": feed_text("de", long_text="Robust.\n\tMit Koffer.")})

    assert "control characters" in refusals_of(channel, broken)
    assert refusals_of(channel, fine) == ""


def test_comparisons_and_windows_line_breaks_are_not_refused(channel):
    text = feed_text("de", name="Dübel 6 < 8 mm", long_text="Robust.\r\nMit Koffer & Bits.")

    assert refusals_of(channel, feed_product(texts={"de": text})) == ""


def test_a_gtin_with_a_wrong_check_digit_is_refused(channel):
    assert "4006381333932" in refusals_of(channel, feed_product(gtin="4006381333932"))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"price": None}, "No price."),
        ({"images": ()}, "No image."),
        ({"texts": {"de": feed_text("de", url="")}}, "No link"),
        ({"brand": ""}, "No brand."),
        ({"availability": "on_request", "lead_time_days": None}, "lead time"),
    ],
)
def test_a_product_google_cannot_list_is_refused(channel, overrides, reason):
    assert reason in refusals_of(channel, feed_product(**overrides))


# --- the TSV variant ----------------------------------------------------------------------


def tsv_spec(**options):
    return {"options": {**OPTIONS, "variant": "tsv", **options}}


def test_the_tsv_variant_has_its_own_name_and_media_type(channel):
    assert channel.file_name_for(spec(**tsv_spec())) == "google.tsv"
    assert channel.media_type_for(spec(**tsv_spec())).startswith("text/tab-separated-values")
    assert channel.media_type_for(spec()) == "application/rss+xml; charset=utf-8"


def test_the_tsv_variant_has_a_header_and_one_row_per_product(channel, tmp_path):
    products = [feed_product(sku=f"SKU-{n}") for n in range(3)]

    part = write(channel, tmp_path, products, **tsv_spec())

    rows = tsv_rows(part)
    assert part.name == "google.tsv"
    assert (
        part.path.read_text(encoding="utf-8").splitlines()[0].startswith("id\ttitle\tdescription")
    )
    assert [row["id"] for row in rows] == ["SKU-0", "SKU-1", "SKU-2"]
    assert rows[0]["price"] == "153.51 EUR"
    assert rows[0]["gtin"] == "4006381333931"


def test_tsv_fields_hold_no_line_breaks_or_tabs(channel, tmp_path):
    text = feed_text("de", long_text="Robust.\n\nMit\tKoffer.\r\nEnde.")

    part = write(channel, tmp_path, [feed_product(texts={"de": text})], **tsv_spec())

    lines = part.path.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 3 and lines[2] == ""  # header, one row, the final newline
    assert tsv_rows(part)[0]["description"] == "Robust. Mit Koffer. Ende."


def test_tsv_grouped_attributes_use_google_s_text_syntax(channel, tmp_path):
    product = feed_product(
        certifications=(FeedCertification("EC", "EPREL", "123456"),),
        texts={
            "de": feed_text(
                "de", features=(FeedFeature("Spannung", "18", "V"), FeedFeature("Zeit", "12:30"))
            )
        },
    )

    part = write(channel, tmp_path, [product], **tsv_spec(shipping_service="Standard"))

    row = tsv_rows(part)[0]
    assert row["shipping"] == "DE::Standard:4.95 EUR"
    assert row["product_detail"] == 'Technische Daten:Spannung:18 V,Technische Daten:Zeit:"12:30"'
    assert row["certification"] == "EC:EPREL:123456"
    assert row["additional_image_link"] == "https://hub.example.com/media/bs18-b.jpg"


def test_tsv_list_values_with_commas_and_quotes_read_back_whole(channel, tmp_path):
    features = (FeedFeature("Größe", 'XL, "breit"'), FeedFeature("Farbe", "rot"))
    product = feed_product(texts={"de": feed_text("de", features=features)})

    part = write(channel, tmp_path, [product], **tsv_spec())

    cell = tsv_rows(part)[0]["product_detail"]
    assert cell == 'Technische Daten:Größe:"XL, ""breit""",Technische Daten:Farbe:rot'
    assert [
        split_cell(detail, ":", unquote=True) for detail in split_cell(cell, ",", unquote=False)
    ] == [
        ["Technische Daten", "Größe", 'XL, "breit"'],
        ["Technische Daten", "Farbe", "rot"],
    ]
    assert channel.validate(spec(**tsv_spec()), part) == []


# --- streaming ----------------------------------------------------------------------------


def many_products(count: int, alive: list[int] | None = None):
    """``count`` products, built one at a time; ``alive``, when given, records how many of
    the last 50 the writer still held when it asked for the next."""
    template = feed_product()
    earlier: collections.deque[weakref.ref] = collections.deque(maxlen=50)
    for n in range(count):
        if alive is not None:
            alive.append(sum(ref() is not None for ref in earlier))
            earlier.append(weakref.ref(product := dataclasses.replace(template, sku=f"S{n}")))
            yield product
            del product
        else:
            yield dataclasses.replace(template, sku=f"SKU-{n:05d}")


@pytest.mark.parametrize("variant", ["rss", "tsv"])
def test_the_writer_holds_no_earlier_product_while_it_streams(channel, tmp_path, variant):
    alive: list[int] = []
    sink = DirectorySink(tmp_path)

    channel.write(spec(**tsv_spec(variant=variant)), many_products(2_000, alive), sink)

    assert max(alive) <= 1  # at most the product being written
    assert channel.validate(spec(**tsv_spec(variant=variant)), sink.parts[0]) == []


@pytest.mark.parametrize("variant", ["rss", "tsv"])
def test_the_file_grows_on_disk_while_products_are_still_coming(channel, tmp_path, variant):
    feed = spec(**tsv_spec(variant=variant))
    path = tmp_path / channel.file_name_for(feed)
    sizes: list[int] = []

    def products():
        for n, product in enumerate(many_products(2_000)):
            if n and n % 500 == 0:
                sizes.append(path.stat().st_size)
            yield product

    sink = DirectorySink(tmp_path)
    sink.BUFFER = 16 * 1024  # the sink's 1 MiB buffer would hide the growth of 2,000 items
    channel.write(feed, products(), sink)

    assert 0 < sizes[0] < sizes[1] < sizes[2] < sink.parts[0].size


# --- options ------------------------------------------------------------------------------


def test_options_are_checked(channel):
    errors = channel.clean_options(
        {"variant": "csv", "condition": "broken", "shipping_country": "de", "shipping_price": "-1"}
    )

    assert set(errors) == {"variant", "condition", "shipping_country", "shipping_price"}


def test_the_shipping_price_is_required(channel):
    assert "shipping_price" in channel.clean_options({})
    assert channel.clean_options({"shipping_price": "4.95"}) == {}


def test_the_channel_requires_what_google_needs_but_no_gtin(channel):
    assert channel.identifier == "google_merchant"
    assert channel.required_fields_for("de") == (
        "sku",
        "name",
        "long_text",
        "images",
        "price",
        "availability",
        "brand",
    )
