"""BMEcat 2005 with ETIM: the documents a procurement system would import, read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

import channels.marketplace
from channels.feeds import DirectorySink, FeedAsset, FeedFeature, FeedPart
from channels.marketplace.bmecat import BMEcatChannel
from tests.channels.marketplace.builders import GENERATED_AT, feed_product, feed_spec, feed_text

pytestmark = pytest.mark.usefixtures("english")

NS = {"b": "http://www.bmecat.org/bmecat/2005fd"}
XSD = Path(channels.marketplace.__file__).parent / "schemas" / "bmecat_2005.xsd"
SCHEMA = etree.XMLSchema(etree.parse(str(XSD)))
OPTIONS = {
    "supplier_name": "ACME Tools GmbH",
    "supplier_id": "4012345000009",
    "supplier_id_type": "gln",
    "buyer_name": "Bau AG",
    "buyer_id": "K-1001",
    "catalog_id": "ACME-2026",
    "catalog_version": "2.1",
    "catalog_name": "ACME Katalog 2026",
}
SINCE = GENERATED_AT - dt.timedelta(days=1)


def channel(**options) -> BMEcatChannel:
    return BMEcatChannel("bmecat", {**OPTIONS, **options})


def spec(**overrides):
    values = {"languages": ("de", "en"), "buyer_price_groups": ("A", "B")}
    values.update(overrides)
    return feed_spec(**values)


def write(tmp_path, products, *, adapter=None, **spec_overrides) -> dict[str, FeedPart]:
    sink = DirectorySink(tmp_path)

    (adapter or channel()).write(spec(**spec_overrides), (p for p in products), sink)

    return {part.name: part for part in sink.parts}


def valid_root(part: FeedPart):
    """The part's root element, after the official schema accepted the whole document."""
    document = etree.parse(str(part.path))
    SCHEMA.assertValid(document)
    return document.getroot()


def catalogue(tmp_path, *products, **spec_overrides):
    parts = write(tmp_path, products or [feed_product()], **spec_overrides)
    return valid_root(parts["bmecat.xml"])


def texts(root, path: str) -> list[str]:
    return [element.text for element in root.xpath(path, namespaces=NS)]


def product_node(root, sku: str = "BS-18"):
    (node,) = root.xpath(f"//b:PRODUCT[b:SUPPLIER_PID='{sku}']", namespaces=NS)
    return node


def feature(root, code: str):
    (node,) = root.xpath(f"//b:FEATURE[b:FNAME='{code}']", namespaces=NS)
    return texts(node, "b:FVALUE"), texts(node, "b:FUNIT")


def test_a_full_file_is_one_valid_new_catalogue_with_every_product(tmp_path):
    parts = write(tmp_path, [feed_product(), feed_product(sku="BS-12")])

    root = valid_root(parts["bmecat.xml"])
    assert list(parts) == ["bmecat.xml"]
    assert parts["bmecat.xml"].products == 2
    assert root.get("version") == "2005"
    assert texts(root, "b:T_NEW_CATALOG/b:PRODUCT/b:SUPPLIER_PID") == ["BS-18", "BS-12"]


def test_the_header_names_catalogue_languages_supplier_and_buyer(tmp_path):
    root = catalogue(tmp_path)

    header = root.find("b:HEADER", NS)
    assert texts(header, "b:CATALOG/b:LANGUAGE") == ["deu", "eng"]
    assert header.xpath("b:CATALOG/b:LANGUAGE/@default", namespaces=NS) == ["true"]
    assert texts(header, "b:CATALOG/b:CATALOG_ID") == ["ACME-2026"]
    assert texts(header, "b:CATALOG/b:CATALOG_VERSION") == ["2.1"]
    assert texts(header, "b:CATALOG/b:CATALOG_NAME") == ["ACME Katalog 2026"]
    assert header.xpath("b:CATALOG/b:DATETIME/@type", namespaces=NS) == ["generation_date"]
    assert texts(header, "b:CATALOG/b:DATETIME/b:DATE") == ["2026-12-01"]
    assert texts(header, "b:CATALOG/b:DATETIME/b:TIME") == ["09:30:00"]
    assert texts(header, "b:CATALOG/b:TERRITORY") == ["DE"]
    assert texts(header, "b:CATALOG/b:CURRENCY") == ["EUR"]
    assert texts(header, "b:SUPPLIER/b:SUPPLIER_ID[@type='gln']") == ["4012345000009"]
    assert texts(header, "b:SUPPLIER/b:SUPPLIER_NAME") == ["ACME Tools GmbH"]
    assert texts(header, "b:BUYER/b:BUYER_ID") == ["K-1001"]
    assert texts(header, "b:BUYER/b:BUYER_NAME") == ["Bau AG"]


def test_without_a_buyer_the_header_has_none(tmp_path):
    parts = write(
        tmp_path, [feed_product()], adapter=BMEcatChannel("bmecat", {**OPTIONS, "buyer_name": ""})
    )

    root = valid_root(parts["bmecat.xml"])

    assert root.find("b:HEADER/b:BUYER", NS) is None


def test_product_details_carry_ids_and_the_texts_of_each_language(tmp_path):
    root = catalogue(tmp_path)

    details = product_node(root).find("b:PRODUCT_DETAILS", NS)
    assert details.xpath("b:DESCRIPTION_SHORT/@lang", namespaces=NS) == ["deu", "eng"]
    assert texts(details, "b:DESCRIPTION_SHORT") == [
        "Akku-Bohrschrauber BS 18",
        "Cordless drill BS 18",
    ]
    assert texts(details, "b:DESCRIPTION_LONG[@lang='deu']") == [
        "18 V, 2 Akkus\n\nRobust.\n\nMit Koffer."
    ]
    assert texts(details, "b:DESCRIPTION_LONG[@lang='eng']") == [
        "18 V, two batteries\n\nSturdy.\n\nWith case."
    ]
    assert texts(details, "b:INTERNATIONAL_PID[@type='gtin']") == ["4006381333931"]
    assert texts(details, "b:MANUFACTURER_PID") == ["ACME-BS18"]
    assert texts(details, "b:MANUFACTURER_NAME") == ["ACME Tools GmbH"]
    assert texts(details, "b:DELIVERY_TIME") == ["2"]


@pytest.mark.parametrize(("release", "ec_class"), [("9.0", "EC002580"), ("10.0", "EC011110")])
def test_features_name_the_receivers_etim_release_and_the_class_in_it(tmp_path, release, ec_class):
    product = feed_product(etim_classes={"9.0": "EC002580", "10.0": "EC011110"})

    root = catalogue(tmp_path, product, etim_release=release)

    features = product_node(root).find("b:PRODUCT_FEATURES", NS)
    assert texts(features, "b:REFERENCE_FEATURE_SYSTEM_NAME") == [f"ETIM-{release}"]
    assert texts(features, "b:REFERENCE_FEATURE_GROUP_ID") == [ec_class]
    assert texts(features, "b:FEATURE/b:FNAME") == ["EF000008", "EF000009", "EF000007", "EF000010"]


def test_each_feature_value_is_written_as_its_etim_type(tmp_path):
    root = catalogue(tmp_path)

    assert feature(root, "EF000008") == (["18"], ["EU570448"])  # numeric, with its unit
    assert feature(root, "EF000009") == (["true"], [])  # logical
    assert feature(root, "EF000007") == (["EV000080"], [])  # alphanumeric: the EV code
    assert feature(root, "EF000010") == (["20", "45"], ["EU570092"])  # range: min and max


@pytest.mark.parametrize(
    ("kind", "written", "values"),
    [
        ("N", "2,5", ["2.5"]),
        ("N", "-0.75", ["-0.75"]),
        ("R", "20 - 45", ["20", "45"]),
        ("R", "2,5..4,5", ["2.5", "4.5"]),
        ("L", "Nein", ["false"]),
    ],
)
def test_values_as_editors_write_them_are_normalised(tmp_path, kind, written, values):
    features = (FeedFeature("Wert", written, "", "EF000099", kind),)
    product = feed_product(texts={"de": feed_text("de", features=features), "en": feed_text("en")})

    root = catalogue(tmp_path, product)

    assert feature(root, "EF000099")[0] == values


def test_feature_units_are_written_as_the_editor_wrote_them_with_the_text_profile(tmp_path):
    parts = write(tmp_path, [feed_product()], adapter=channel(funit="text"))

    root = valid_root(parts["bmecat.xml"])

    assert feature(root, "EF000008")[1] == ["V"]
    assert feature(root, "EF000010")[1] == ["Nm"]


def test_media_are_listed_by_url_with_type_description_and_purpose(tmp_path):
    root = catalogue(tmp_path)

    mimes = product_node(root).findall("b:MIME_INFO/b:MIME", NS)
    assert [texts(m, "b:MIME_SOURCE") for m in mimes] == [
        ["https://hub.example.com/media/bs18.jpg"],
        ["https://hub.example.com/media/bs18-b.jpg"],
        ["https://hub.example.com/documents/bs18.pdf"],
    ]
    assert [texts(m, "b:MIME_TYPE") for m in mimes] == [
        ["image/jpeg"],
        ["image/jpeg"],
        ["application/pdf"],
    ]
    assert [texts(m, "b:MIME_PURPOSE") for m in mimes] == [["normal"], ["normal"], ["data_sheet"]]
    assert [texts(m, "b:MIME_DESCR") for m in mimes] == [["Front"], [], ["Datenblatt"]]
    assert [texts(m, "b:MIME_ORDER") for m in mimes] == [["1"], ["2"], ["3"]]


def test_a_media_type_the_schema_does_not_know_is_left_to_the_file_extension(tmp_path):
    image = FeedAsset("https://hub.example.com/media/bs18.png", "image/png", "bs18.png")

    root = catalogue(tmp_path, feed_product(images=(image,), documents=()))

    (mime,) = product_node(root).findall("b:MIME_INFO/b:MIME", NS)
    assert texts(mime, "b:MIME_TYPE") == []
    assert texts(mime, "b:MIME_SOURCE") == ["https://hub.example.com/media/bs18.png"]


def test_order_details_use_the_receivers_units_and_the_products_net_content(tmp_path):
    cable = feed_product(net_content=Decimal("50"), net_content_unit="m")
    parts = write(tmp_path, [cable], adapter=channel(price_quantity="10", quantity_min="5"))

    root = valid_root(parts["bmecat.xml"])

    order = product_node(root).find("b:PRODUCT_ORDER_DETAILS", NS)
    assert texts(order, "b:ORDER_UNIT") == ["C62"]
    assert texts(order, "b:CONTENT_UNIT") == ["MTR"]
    assert texts(order, "b:NO_CU_PER_OU") == ["50"]
    assert texts(order, "b:PRICE_QUANTITY") == ["10"]
    assert texts(order, "b:QUANTITY_MIN") == ["5"]


def test_prices_are_the_net_list_price_with_tax_and_each_buyer_groups_price(tmp_path):
    root = catalogue(tmp_path)

    prices = product_node(root).findall("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
    assert [p.get("price_type") for p in prices] == ["net_list", "udp_A", "udp_B"]
    assert [texts(p, "b:PRICE_AMOUNT") for p in prices] == [["129.00"], ["99.00"], ["109.50"]]
    assert {t for p in prices for t in texts(p, "b:PRICE_CURRENCY")} == {"EUR"}
    assert {t for p in prices for t in texts(p, "b:TAX")} == {"0.19"}


def test_a_receiver_with_a_price_group_gets_that_groups_price_as_its_list_price(tmp_path):
    root = catalogue(tmp_path, price_group="B", buyer_price_groups=())

    prices = product_node(root).findall("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
    assert [(p.get("price_type"), texts(p, "b:PRICE_AMOUNT")) for p in prices] == [
        ("net_list", ["109.50"])
    ]


def test_a_buyer_group_without_a_price_for_the_product_gets_no_price_element(tmp_path):
    root = catalogue(tmp_path, feed_product(group_prices={"B": Decimal("110")}))

    prices = product_node(root).findall("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
    assert [p.get("price_type") for p in prices] == ["net_list", "udp_B"]


def delta_products():
    return [
        feed_product(sku="C-1", changes=frozenset({"content", "price"})),
        feed_product(sku="W-1", changes=frozenset({"withdrawn"})),
        feed_product(sku="P-1", changes=frozenset({"price"}), price=Decimal("119.90")),
        feed_product(sku="S-1", changes=frozenset({"stock"})),
    ]


def test_a_delta_writes_product_updates_and_price_updates_as_two_valid_documents(tmp_path):
    parts = write(tmp_path, delta_products(), since=SINCE)

    updates = valid_root(parts["bmecat-update-products.xml"])
    prices = valid_root(parts["bmecat-update-prices.xml"])
    assert list(parts) == ["bmecat-update-products.xml", "bmecat-update-prices.xml"]
    assert [parts[name].products for name in parts] == [2, 1]
    transaction = updates.find("b:T_UPDATE_PRODUCTS", NS)
    assert transaction.get("prev_version") == str(int(SINCE.timestamp()))
    assert [(p.get("mode"), texts(p, "b:SUPPLIER_PID")) for p in transaction] == [
        ("update", ["C-1"]),
        ("delete", ["W-1"]),
    ]
    assert feature(updates, "EF000010")[0] == ["20", "45"]
    (price_product,) = prices.find("b:T_UPDATE_PRICES", NS)
    assert texts(price_product, "b:SUPPLIER_PID") == ["P-1"]
    assert texts(price_product, "b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE/b:PRICE_AMOUNT") == [
        "119.90",
        "99.00",
        "109.50",
    ]
    assert price_product.find("b:PRODUCT_DETAILS", NS) is None


def test_a_delta_with_only_price_changes_writes_no_product_updates(tmp_path):
    parts = write(tmp_path, [feed_product(changes=frozenset({"price"}))], since=SINCE)

    assert list(parts) == ["bmecat-update-prices.xml"]
    valid_root(parts["bmecat-update-prices.xml"])


def test_a_delta_with_only_stock_changes_writes_nothing(tmp_path):
    parts = write(tmp_path, [feed_product(changes=frozenset({"stock"}))], since=SINCE)

    assert parts == {}


def test_no_bmecat_1_2_names_are_written(tmp_path):
    (tmp_path / "full").mkdir()
    full = write(tmp_path / "full", [feed_product()])
    delta = write(tmp_path, delta_products(), since=SINCE)

    tags = {
        etree.QName(element).localname
        for part in (*full.values(), *delta.values())
        for element in valid_root(part).iter()
    }
    assert "PRODUCT" in tags
    assert not {t for t in tags if t.startswith("ARTICLE") or t.endswith("_AID")}


def refusals(product=None, **spec_overrides) -> tuple[str, ...]:
    return channel().refusals(product or feed_product(), spec(**spec_overrides))


def with_features(*features):
    return feed_product(texts={"de": feed_text("de", features=features), "en": feed_text("en")})


def test_a_complete_product_is_not_refused():
    assert refusals() == ()


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        (
            FeedFeature("Farbe", "rot", "", "EF000007", "A"),
            "Farbe (EF000007) expects an alphanumeric value: “rot” is not an ETIM value code",
        ),
        (
            FeedFeature("Spannung", "18 V", "V", "EF000008", "N", "EU570448"),
            "Spannung (EF000008) expects a numeric value: “18 V” is not a number",
        ),
        (FeedFeature("Breite", "1,000", "", "EF000011", "N"), "ambiguous"),
        (FeedFeature("Mit Akku", "vielleicht", "", "EF000009", "L"), "not true or false"),
        (FeedFeature("Drehmoment", "ab 20", "", "EF000010", "R"), "not a range"),
        (FeedFeature("Drehmoment", "45-20", "", "EF000010", "R"), "starts above its end"),
    ],
)
def test_a_value_of_the_wrong_etim_type_is_refused_naming_feature_and_value(feature, expected):
    (reason,) = refusals(with_features(feature))

    assert expected in reason


def test_a_feature_whose_etim_type_is_unknown_is_refused():
    assert refusals(with_features(FeedFeature("Gewicht", "2", "kg", "EF999999", ""))) == (
        "The feature Gewicht (EF999999) has no known ETIM type.",
    )


def test_a_unit_without_etim_code_is_refused_with_the_etim_unit_profile():
    product = with_features(FeedFeature("Spannung", "18", "V", "EF000008", "N"))

    assert refusals(product) == ("The unit “V” of Spannung (EF000008) has no ETIM unit code.",)
    assert channel(funit="text").refusals(product, spec()) == ()


def test_a_product_classified_in_another_release_only_is_refused():
    product = feed_product(etim_classes={"9.0": "EC002580"})

    assert refusals(product, etim_release="10.0") == (
        "Classified in ETIM-9.0 only, the receiver wants ETIM-10.0.",
    )


def test_a_gtin_with_a_wrong_check_digit_is_refused():
    assert refusals(feed_product(gtin="4006381333932")) == (
        "The GTIN 4006381333932 has a wrong check digit.",
    )


def test_a_product_without_text_in_a_receivers_language_is_refused():
    assert refusals(languages=("de", "en", "fr")) == ("No text in fr.",)


def test_a_control_character_is_refused_naming_the_field():
    product = feed_product(
        texts={"de": feed_text("de", name="Bohrer\x0b18"), "en": feed_text("en")}
    )

    assert refusals(product) == ("The name in de contains a control character.",)


def test_a_product_without_a_price_for_the_receiver_is_refused():
    assert refusals(feed_product(price=None)) == ("No list price.",)
    assert refusals(price_group="C") == ("No price in price group C, which the receiver gets.",)


def test_a_withdrawn_product_is_deleted_whatever_else_is_wrong_with_it(tmp_path):
    withdrawn = feed_product(gtin="123", price=None, changes=frozenset({"withdrawn"}))

    assert refusals(withdrawn, since=SINCE) == ()
    parts = write(tmp_path, [withdrawn], since=SINCE)
    root = valid_root(parts["bmecat-update-products.xml"])
    assert root.xpath("//b:PRODUCT/@mode", namespaces=NS) == ["delete"]


def test_validate_accepts_what_was_written(tmp_path):
    parts = write(tmp_path, [feed_product(), feed_product(sku="BS-12")])

    assert channel().validate(spec(), parts["bmecat.xml"]) == []


def test_validate_reports_what_the_schema_rejects_with_its_line(tmp_path):
    parts = write(tmp_path, [feed_product(sku=f"BS-{n}") for n in range(3)])
    path = parts["bmecat.xml"].path
    lines = path.read_text().splitlines(keepends=True)
    units = [n for n, text in enumerate(lines, start=1) if text == "<ORDER_UNIT>C62</ORDER_UNIT>\n"]
    lines[units[1] - 1] = "<ORDER_UNIT>piece</ORDER_UNIT>\n"
    path.write_text("".join(lines))

    errors = channel().validate(spec(), parts["bmecat.xml"])

    assert len(errors) == 1
    assert errors[0].startswith(f"bmecat.xml, line {units[1]}: Element '{{")
    assert "ORDER_UNIT" in errors[0]
    assert "'piece'" in errors[0]


def test_options_are_checked_by_name():
    errors = BMEcatChannel("bmecat").clean_options(
        {
            "catalog_version": "v2",
            "territory": "Germany",
            "funit": "metric",
            "order_unit": "piece",
            "price_quantity": "0",
        }
    )

    assert sorted(errors) == [
        "catalog_id",
        "catalog_version",
        "funit",
        "order_unit",
        "price_quantity",
        "supplier_name",
        "territory",
    ]
    assert channel().clean_options(OPTIONS) == {}


def test_options_set_for_the_channel_need_not_be_repeated_per_receiver():
    adapter = BMEcatChannel("bmecat", {"supplier_name": "ACME Tools GmbH"})

    assert adapter.clean_options({"catalog_id": "ACME-2026"}) == {}


def test_validate_reports_a_file_that_is_not_well_formed_with_its_line(tmp_path):
    parts = write(tmp_path, [feed_product()])
    path = parts["bmecat.xml"].path
    lines = path.read_text().splitlines(keepends=True)
    line = lines.index("<PRODUCT_DETAILS>\n") + 1
    lines[line - 1] = "<PRODUCT_DETAILS <\n"
    path.write_text("".join(lines))

    errors = channel().validate(spec(), parts["bmecat.xml"])

    assert errors[0].startswith(f"bmecat.xml, line {line}:")


def test_a_language_without_an_iso_639_2_code_is_refused():
    product = feed_product(texts={**feed_product().texts, "xx": feed_text("xx")})

    assert refusals(product, languages=("de", "xx")) == ("BMEcat has no language code for “xx”.",)


def test_validate_blames_each_file_only_for_its_own_errors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", [feed_product()])["bmecat.xml"]
    second = write(tmp_path / "b", [feed_product()])["bmecat.xml"]
    first.path.write_text(first.path.read_text().replace(">C62<", ">piece<"))
    broken = second.path.read_text().replace("<PRODUCT_DETAILS>", "<PRODUCT_DETAILS <")
    second.path.write_text(broken)
    adapter = channel()

    adapter.validate(spec(), first)
    errors = adapter.validate(spec(), second)

    assert len(errors) == 1
    assert "PRODUCT_DETAILS" in errors[0]
    assert "piece" not in errors[0]
