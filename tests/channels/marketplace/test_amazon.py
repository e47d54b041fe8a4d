"""Amazon's JSON_LISTINGS_FEED: the documents a seller would upload, read back as Amazon would."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft7Validator

from channels import feeds
from channels.feeds import FeedAsset, FeedPart
from channels.marketplace.amazon import AmazonListingsChannel
from tests.channels.marketplace.builders import feed_product, feed_spec, feed_text

pytestmark = pytest.mark.usefixtures("english")

SCHEMA = json.loads(
    (
        Path(__file__).parents[3] / "channels/marketplace/schemas/amazon_listings_feed_v2.json"
    ).read_text()
)
DE = "A1PA6795UKMFR9"
SELLER = "A2EUQ1WTGCTBG2"
DRILL_RULE = {
    "categories": ["akkuwerkzeuge"],
    "product_type": "DRILL",
    "attributes": {
        "item_name": "name",
        "brand": "brand",
        "product_description": "long_text",
        "bullet_point": "features",
        "externally_assigned_product_identifier": "gtin",
        "part_number": "manufacturer_part_number?",
        "manufacturer": "manufacturer_name?",
        "supplier_declared_dg_hz_regulation": {"value": "not_applicable"},
        "item_type_keyword": {"value": "Akkuschrauber", "localized": True},
    },
}
DEFAULT_RULE = {"product_type": "PRODUCT", "attributes": {"item_name": "name", "brand": "brand"}}
OPTIONS = {"seller_id": SELLER, "marketplace_id": DE, "product_types": [DRILL_RULE, DEFAULT_RULE]}


class DirectorySink(feeds.DirectorySink):
    """The hub's sink, telling the test when a part is opened."""

    def __init__(self, root: Path, on_open=None) -> None:
        super().__init__(root)
        self.on_open = on_open

    def open_part(self, name: str):
        if self.on_open:
            self.on_open()
        return super().open_part(name)


@pytest.fixture
def channel():
    return AmazonListingsChannel("amazon", {})


def amazon_spec(**overrides):
    return feed_spec(options={**OPTIONS, **overrides.pop("options", {})}, **overrides)


def write(channel, spec, products, tmp_path) -> list[tuple[FeedPart, dict]]:
    """Each part written, with its document, checked against Amazon's schema."""
    sink = DirectorySink(tmp_path)

    channel.write(spec, iter(products), sink)

    written = []
    for part in sink.parts:
        document = json.loads(part.path.read_bytes())
        schema_errors = [error.message for error in Draft7Validator(SCHEMA).iter_errors(document)]
        assert schema_errors == [], part.name
        assert part.size == part.path.stat().st_size <= 10 * 1024 * 1024
        assert part.products == len(document["messages"])
        assert channel.validate(spec, part) == []
        written.append((part, document))
    return written


def only_message(channel, spec, product, tmp_path) -> dict:
    [(_, document)] = write(channel, spec, [product], tmp_path)
    [message] = document["messages"]
    return message


def test_the_channel_serves_json_listings_files(channel):
    assert channel.media_type_for(amazon_spec()) == "application/json"
    assert channel.file_name_for(amazon_spec()) == "listings-0001.json"
    assert channel.supports_deltas


def test_the_header_names_the_seller_version_and_issue_locale(channel, tmp_path):
    [(part, document)] = write(channel, amazon_spec(), [feed_product()], tmp_path)

    assert part.name == "listings-0001.json"
    assert document["header"] == {"sellerId": SELLER, "version": "2.0", "issueLocale": "de_DE"}


def test_a_full_file_updates_a_product_with_its_rules_product_type(channel, tmp_path):
    message = only_message(channel, amazon_spec(), feed_product(), tmp_path)

    assert message["messageId"] == 1
    assert message["sku"] == "BS-18"
    assert message["operationType"] == "UPDATE"
    assert message["productType"] == "DRILL"
    assert "patches" not in message


def test_texts_carry_the_language_tag_and_marketplace(channel, tmp_path):
    attributes = only_message(channel, amazon_spec(), feed_product(), tmp_path)["attributes"]

    assert attributes["item_name"] == [
        {"value": "Akku-Bohrschrauber BS 18", "language_tag": "de_DE", "marketplace_id": DE}
    ]
    assert attributes["brand"] == [{"value": "ACME", "language_tag": "de_DE", "marketplace_id": DE}]
    assert attributes["product_description"] == [
        {"value": "Robust.\n\nMit Koffer.", "language_tag": "de_DE", "marketplace_id": DE}
    ]
    assert attributes["manufacturer"] == [
        {"value": "ACME Tools GmbH", "language_tag": "de_DE", "marketplace_id": DE}
    ]


def test_features_become_bullet_points_without_etim_codes(channel, tmp_path):
    attributes = only_message(channel, amazon_spec(), feed_product(), tmp_path)["attributes"]

    assert [entry["value"] for entry in attributes["bullet_point"]] == [
        "Spannung: 18 V",
        "Mit Akku",
        "Drehmoment: 20-45 Nm",
    ]
    assert {entry["language_tag"] for entry in attributes["bullet_point"]} == {"de_DE"}


def test_identifiers_are_the_ean_and_the_part_number(channel, tmp_path):
    attributes = only_message(channel, amazon_spec(), feed_product(), tmp_path)["attributes"]

    assert attributes["externally_assigned_product_identifier"] == [
        {"type": "ean", "value": "4006381333931", "marketplace_id": DE}
    ]
    assert attributes["part_number"] == [{"value": "ACME-BS18", "marketplace_id": DE}]


def test_a_twelve_digit_gtin_is_a_upc(channel, tmp_path):
    product = feed_product(gtin="036000291452")

    attributes = only_message(channel, amazon_spec(), product, tmp_path)["attributes"]

    assert attributes["externally_assigned_product_identifier"][0]["type"] == "upc"


def test_constants_of_the_rule_are_written_as_given(channel, tmp_path):
    attributes = only_message(channel, amazon_spec(), feed_product(), tmp_path)["attributes"]

    assert attributes["supplier_declared_dg_hz_regulation"] == [
        {"value": "not_applicable", "marketplace_id": DE}
    ]
    assert attributes["item_type_keyword"] == [
        {"value": "Akkuschrauber", "language_tag": "de_DE", "marketplace_id": DE}
    ]


def test_an_optional_fact_the_product_lacks_is_left_out(channel, tmp_path):
    product = feed_product(manufacturer_part_number="")

    attributes = only_message(channel, amazon_spec(), product, tmp_path)["attributes"]

    assert "part_number" not in attributes
    assert attributes["manufacturer"]


def test_the_offer_is_the_gross_list_price_with_a_quantity_from_availability(channel, tmp_path):
    attributes = only_message(channel, amazon_spec(), feed_product(), tmp_path)["attributes"]

    assert attributes["purchasable_offer"] == [
        {
            "currency": "EUR",
            "marketplace_id": DE,
            "our_price": [{"schedule": [{"value_with_tax": 153.51}]}],  # 129.00 + 19 %
        }
    ]
    assert attributes["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 10, "lead_time_to_ship_max_days": 2}
    ]
    assert attributes["condition_type"] == [{"value": "new_new", "marketplace_id": DE}]


def test_the_price_is_the_receivers_price_group_rounded_half_up(channel, tmp_path):
    spec = amazon_spec(price_group="B", vat_rate=Decimal("19"))

    attributes = only_message(channel, spec, feed_product(), tmp_path)["attributes"]

    offer = attributes["purchasable_offer"][0]["our_price"][0]["schedule"][0]
    assert offer["value_with_tax"] == 130.31  # 109.50 * 1.19 = 130.305


def test_the_quantity_per_availability_is_the_receivers_setting(channel, tmp_path):
    spec = amazon_spec(options={"default_quantity": {"low_stock": 1}})
    product = feed_product(availability="low_stock", lead_time_days=None)

    attributes = only_message(channel, spec, product, tmp_path)["attributes"]

    assert attributes["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 1}
    ]


def test_images_are_the_main_and_other_image_locators(channel, tmp_path):
    images = tuple(
        FeedAsset(f"https://hub.example.com/media/{n}.jpg", "image/jpeg", f"{n}.jpg")
        for n in range(11)
    )

    attributes = only_message(channel, amazon_spec(), feed_product(images=images), tmp_path)[
        "attributes"
    ]

    assert attributes["main_product_image_locator"] == [
        {"media_location": "https://hub.example.com/media/0.jpg", "marketplace_id": DE}
    ]
    assert attributes["other_product_image_locator_8"] == [
        {"media_location": "https://hub.example.com/media/8.jpg", "marketplace_id": DE}
    ]
    assert "other_product_image_locator_9" not in attributes


def test_a_product_outside_the_mapped_categories_gets_the_default_rule(channel, tmp_path):
    product = feed_product(category_slugs=("zubehoer",))

    message = only_message(channel, amazon_spec(), product, tmp_path)

    assert message["productType"] == "PRODUCT"
    assert "bullet_point" not in message["attributes"]


def test_the_language_tag_follows_the_issue_locale(channel, tmp_path):
    spec = amazon_spec(
        languages=("en",), options={"issue_locale": "en_GB", "marketplace_id": "A1F83G8C2ARO7P"}
    )

    message = only_message(channel, spec, feed_product(), tmp_path)

    assert message["attributes"]["item_name"] == [
        {
            "value": "Cordless drill BS 18",
            "language_tag": "en_GB",
            "marketplace_id": "A1F83G8C2ARO7P",
        }
    ]


def test_a_withdrawn_product_is_deleted(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"withdrawn"}))

    message = only_message(channel, spec, product, tmp_path)

    assert message == {"messageId": 1, "sku": "BS-18", "operationType": "DELETE"}


def test_a_price_change_is_a_patch_of_the_offer(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"price"}), price=Decimal("100.00"))

    message = only_message(channel, spec, product, tmp_path)

    assert message["operationType"] == "PATCH"
    assert message["productType"] == "DRILL"
    assert "attributes" not in message
    assert message["patches"] == [
        {
            "op": "replace",
            "path": "/attributes/purchasable_offer",
            "value": [
                {
                    "currency": "EUR",
                    "marketplace_id": DE,
                    "our_price": [{"schedule": [{"value_with_tax": 119}]}],
                }
            ],
        },
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [
                {
                    "fulfillment_channel_code": "DEFAULT",
                    "quantity": 10,
                    "lead_time_to_ship_max_days": 2,
                }
            ],
        },
    ]


def test_a_stock_change_patches_the_quantity(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"stock"}), availability="out_of_stock")

    message = only_message(channel, spec, product, tmp_path)

    assert message["operationType"] == "PATCH"
    assert message["patches"][1]["value"][0]["quantity"] == 0


def test_a_content_change_in_a_delta_is_a_full_update(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"content", "price"}))

    message = only_message(channel, spec, product, tmp_path)

    assert message["operationType"] == "UPDATE"
    assert message["attributes"]["item_name"][0]["value"] == "Akku-Bohrschrauber BS 18"


def test_a_catalogue_over_10000_products_is_split_into_two_documents(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    withdrawn = frozenset({"withdrawn"})  # tiny messages: 10,000 stay far below 10 MiB
    products = (feed_product(sku=f"SKU-{n}", changes=withdrawn) for n in range(10_001))

    written = write(channel, spec, products, tmp_path)

    assert [part.name for part, _ in written] == ["listings-0001.json", "listings-0002.json"]
    assert [part.products for part, _ in written] == [10_000, 1]
    first, second = (document["messages"] for _, document in written)
    assert [m["messageId"] for m in first] == list(range(1, 10_001))
    assert second == [{"messageId": 1, "sku": "SKU-10000", "operationType": "DELETE"}]


def test_a_catalogue_over_10_mib_is_split_before_the_limit(channel, tmp_path):
    long_text = ("Robust und langlebig. " * 4_700).strip()  # about 100 KB
    products = (
        feed_product(sku=f"SKU-{n}", texts={"de": feed_text("de", long_text=long_text)})
        for n in range(110)
    )

    written = write(channel, amazon_spec(), products, tmp_path)

    assert len(written) == 2
    first, second = written
    assert 10 * 1024 * 1024 - 110_000 < first[0].size <= 10 * 1024 * 1024
    assert first[0].products + second[0].products == 110
    assert second[1]["messages"][0]["messageId"] == 1


def test_a_part_is_written_before_the_rest_of_the_catalogue_is_read(channel, tmp_path):
    long_text = ("Robust und langlebig. " * 4_700).strip()
    sink = DirectorySink(tmp_path)
    parts_done_when_pulled = []

    def catalogue():
        for n in range(110):
            parts_done_when_pulled.append(len(sink.parts))
            yield feed_product(sku=f"SKU-{n}", texts={"de": feed_text("de", long_text=long_text)})

    channel.write(amazon_spec(), catalogue(), sink)

    first = sink.parts[0].products
    # The first part was complete on disk when the product that did not fit was made.
    assert parts_done_when_pulled[first] == 0
    assert parts_done_when_pulled[first + 1] == 1
    assert len(sink.parts) == 2


def test_a_product_in_a_delta_without_named_changes_is_updated_in_full(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)

    message = only_message(channel, spec, feed_product(changes=frozenset()), tmp_path)

    assert message["operationType"] == "UPDATE"
    assert message["attributes"]["purchasable_offer"]


def test_no_products_write_no_document(channel, tmp_path):
    assert write(channel, amazon_spec(), [], tmp_path) == []


def test_a_ready_product_is_not_refused(channel):
    assert channel.refusals(feed_product(), amazon_spec()) == ()


@pytest.mark.parametrize(
    ("overrides", "spec_overrides", "reason"),
    [
        ({"category_slugs": ("zubehoer",)}, {"options": {"product_types": [DRILL_RULE]}},
         "No product type rule matches its categories (zubehoer)."),
        ({"texts": {"en": feed_text("en")}}, {}, "No text in de."),
        ({"texts": {"de": feed_text("de", name="Bohrer <b>neu</b>")}}, {},
         "Its item_name contains HTML, which Amazon does not show."),
        ({"texts": {"de": feed_text("de", long_text="Robust.\x0bMit Koffer.")}}, {},
         "Its product_description contains control characters."),
        ({"texts": {"de": feed_text("de", name="B" * 201)}}, {},
         "Its title has 201 characters; Amazon takes at most 200."),
        ({"gtin": "4006381333932"}, {}, "GTIN 4006381333932 is not valid (length or check digit)."),
        ({"gtin": ""}, {}, "No gtin for Amazon's externally_assigned_product_identifier."),
        ({"brand": ""}, {}, "No brand for Amazon's brand."),
        ({"images": ()}, {}, "No image: Amazon lists no product without a main image."),
        ({"group_prices": {}}, {"price_group": "A"}, "No price for price group A."),
        ({"price": None}, {}, "No list price."),
        ({"availability": ""}, {}, "No availability, so no quantity to offer."),
        ({"lead_time_days": 45}, {}, "Lead time of 45 days; Amazon takes 0 to 30."),
    ],
)  # fmt: skip
def test_a_product_amazon_would_reject_is_refused_with_the_reason(
    channel, overrides, spec_overrides, reason
):
    refusals = channel.refusals(feed_product(**overrides), amazon_spec(**spec_overrides))

    assert refusals == (reason,)


def test_a_price_patch_is_not_refused_for_its_content(channel):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"price"}), texts={}, images=())

    assert channel.refusals(product, spec) == ()


def test_a_withdrawn_product_is_never_refused(channel):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"withdrawn"}), price=None, category_slugs=())

    assert channel.refusals(product, spec) == ()


def test_good_options_have_no_errors(channel):
    assert channel.clean_options(OPTIONS) == {}


def test_options_as_json_text_from_the_admin_are_read(channel):
    options = {**OPTIONS, "product_types": json.dumps(OPTIONS["product_types"])}

    assert channel.clean_options(options) == {}


def test_missing_options_are_named(channel):
    errors = channel.clean_options({})

    assert errors == {
        "seller_id": ["Seller ID is required."],
        "marketplace_id": ["Marketplace ID is required."],
        "product_types": ["Product types are required: at least one rule, e.g. a default rule."],
    }


@pytest.mark.parametrize(
    ("options", "name", "message"),
    [
        ({"seller_id": "seller-1"}, "seller_id",
         "“seller-1” is not a seller ID: 10 to 20 capital letters and digits, as Seller Central "
         "shows it (e.g. A2EUQ1WTGCTBG2)."),
        ({"marketplace_id": "amazon.de"}, "marketplace_id",
         "“amazon.de” is not an Amazon marketplace ID (e.g. A1PA6795UKMFR9 for amazon.de)."),
        ({"issue_locale": "de"}, "issue_locale", "“de” is not a locale like de_DE."),
        ({"product_types": [{"product_type": "DRILL", "attributes": {"item_name": "title"}}]},
         "product_types",
         'Rule 1: item_name: unknown source "title"; known: name, short_text, long_text, '
         "features, brand, manufacturer_name, manufacturer_part_number, sku, gtin."),
        ({"product_types": [{"product_type": "drill", "attributes": {"item_name": "name"}}]},
         "product_types",
         'Rule 1: product_type "drill" is not an Amazon product type (capital letters and _).'),
        ({"product_types": [{"categories": ["akkuwerkzeuge"], "product_type": "DRILL"}]},
         "product_types", "Rule 1: the rule has no attributes."),
        ({"product_types": [DEFAULT_RULE, DEFAULT_RULE]}, "product_types",
         "Only one rule may be without categories (the default rule)."),
        ({"product_types": "[{"}, "product_types",
         "Product types are not valid JSON: Expecting property name enclosed in double quotes: "
         "line 1 column 3 (char 2)."),
        ({"default_quantity": {"in_stock": -1}}, "default_quantity",
         "The quantity for in_stock must be a whole number, 0 or more."),
    ],
)  # fmt: skip
def test_bad_options_are_explained_by_option_name(channel, options, name, message):
    errors = channel.clean_options({**OPTIONS, **options})

    assert errors == {name: [message]}


def test_writing_with_bad_options_fails_before_any_part(channel, tmp_path):
    sink = DirectorySink(tmp_path)

    with pytest.raises(ImproperlyConfigured, match="seller_id"):
        channel.write(feed_spec(options={}), iter([feed_product()]), sink)

    assert sink.parts == []


def test_a_written_document_validates(channel, tmp_path):
    spec = amazon_spec()
    [(part, _)] = write(channel, spec, [feed_product(), feed_product(sku="BS-19")], tmp_path)

    assert channel.validate(spec, part) == []


def plant(part: FeedPart, document: dict) -> FeedPart:
    data = json.dumps(document).encode()
    part.path.write_bytes(data)
    return FeedPart(part.name, part.path, part.products, len(data))


def test_validate_finds_a_planted_schema_error_by_its_path(channel, tmp_path):
    spec = amazon_spec()
    [(part, document)] = write(channel, spec, [feed_product(), feed_product(sku="X")], tmp_path)
    document["messages"][1]["operationType"] = "DELETE"  # but with attributes and productType
    document["header"]["version"] = "1.0"

    errors = channel.validate(spec, plant(part, document))

    assert errors == [
        "$.header.version: '2.0' was expected",
        "$.messages[1].attributes: not allowed with operationType DELETE; "
        "$.messages[1].productType: not allowed with operationType DELETE",
    ]


def test_validate_names_what_a_patch_lacks(channel, tmp_path):
    spec = amazon_spec(since=feed_spec().generated_at)
    product = feed_product(changes=frozenset({"price"}))
    [(part, document)] = write(channel, spec, [product], tmp_path)
    del document["messages"][0]["patches"]

    errors = channel.validate(spec, plant(part, document))

    assert errors == ["$.messages[0]: 'patches' is a required property"]


def test_validate_finds_reused_message_ids(channel, tmp_path):
    spec = amazon_spec()
    [(part, document)] = write(channel, spec, [feed_product(), feed_product(sku="X")], tmp_path)
    document["messages"][1]["messageId"] = 1

    errors = channel.validate(spec, plant(part, document))

    assert errors == ["$.messages[1].messageId: 1 is used twice."]


def test_validate_finds_a_document_over_10_mib(channel, tmp_path):
    spec = amazon_spec()
    [(part, _)] = write(channel, spec, [feed_product()], tmp_path)
    data = part.path.read_bytes()[:-1] + b" " * (10 * 1024 * 1024) + b"}"
    part.path.write_bytes(data)

    errors = channel.validate(spec, FeedPart(part.name, part.path, 1, len(data)))

    assert errors == [
        f"listings-0001.json has {len(data)} bytes; Amazon takes at most {10 * 1024 * 1024}."
    ]
