"""A feed's candidates: live products only, with their translations, facts and gaps."""

from decimal import Decimal

import pytest
from django.test import override_settings

from campaigns.feeds.products import feed_candidates
from campaigns.models import GroupPrice
from content.models import EtimFeature, ProductDocument, ProductEtimClass
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductFeatureFactory,
    ProductImageFactory,
    locale,
    rich_text_json,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SHOP = "https://shop.example.com/{language}/p/{sku}"


def candidates(**kwargs):
    kwargs.setdefault("channel_key", "bmecat")
    kwargs.setdefault("languages", ("de",))
    return list(feed_candidates(**kwargs))


def translate(product, code="en", **fields):
    english = product.copy_for_translation(locale(code))
    for name, value in fields.items():
        setattr(english, name, value)
    english.live = True
    english.save()
    return english


def test_only_live_products_are_candidates_in_sku_order():
    ProductFactory(sku="B-2", live=True)
    ProductFactory(sku="A-1", live=True)
    ProductFactory(sku="C-3", live=False)  # a draft that was never approved

    assert [c.product.sku for c in candidates()] == ["A-1", "B-2"]


@override_settings(HUB_SHOP_PRODUCT_URL=SHOP)
def test_a_candidate_carries_the_facts_a_feed_needs():
    product = ProductFactory(
        sku="BS-18",
        live=True,
        long_text="<p>Robust &amp; leicht.</p><ul><li>18 V</li><li>2 Akkus</li></ul>",
        etim_class="EC002580",
        etim_release="9.0",
        net_content=Decimal("2.5"),
        net_content_unit="kg",
        eprel_code="123456",
    )
    ProductEtimClass.objects.create(product=product, release="10.0", etim_class="EC002581")
    EtimFeature.objects.create(
        code="EF000008", name="Spannung", data_type="N", unit_code="EU570448", unit_symbol="V"
    )
    ProductFeatureFactory(
        product=product, name="Spannung", value="18", unit="V", etim_feature="EF000008"
    )
    ProductFeatureFactory(product=product, name="Farbe", value="rot", unit="", etim_feature="")
    ProductImageFactory(product=product, alt_text="Vorne")
    root = CategoryFactory(name="Werkzeuge", name_en="Tools", slug="werkzeuge")
    product.categories.add(
        CategoryFactory(name="Akku", name_en="Cordless", slug="akku", parent=root)
    )
    product.save()
    GroupPrice.objects.create(sku="BS-18", price_group="A", price=Decimal("15.10"))
    GroupPrice.objects.create(sku="BS-18", price_group="Z", price=Decimal("1.00"))

    [candidate] = candidates(price_groups=("A",))
    item = candidate.product
    text = item.texts["de"]

    assert candidate.product_id == product.pk
    assert text.long_text == "Robust & leicht.\n\n• 18 V\n\n• 2 Akkus"
    assert "<li>18 V</li>" in text.long_html
    assert text.url == "https://shop.example.com/de/p/BS-18"
    assert text.category_path == ("Werkzeuge", "Akku")
    assert [(f.name, f.etim_feature, f.etim_type, f.etim_unit) for f in text.features] == [
        ("Spannung", "EF000008", "N", "EU570448"),
        ("Farbe", "", "", ""),
    ]
    assert item.etim_classes == {"9.0": "EC002580", "10.0": "EC002581"}
    assert item.group_prices == {"A": Decimal("15.10")}
    assert item.category_slugs == ("akku",)
    assert item.images[0].description == "Vorne"
    assert item.images[0].url.startswith("http")
    assert item.images[0].mime_type == "image/png"
    assert (item.net_content, item.net_content_unit) == (Decimal("2.500"), "kg")
    assert [(c.authority, c.name, c.code) for c in item.certifications] == [
        ("EC", "EPREL", "123456")
    ]


def test_translations_join_and_a_missing_one_is_named():
    german = ProductFactory(sku="X-1", live=True, long_text=rich_text_json("Deutsch"))
    translate(german, "en", name="Drill", long_text="<p>English</p>")
    ProductFactory(sku="X-2", live=True)  # no English version
    draft = ProductFactory(sku="X-3", live=True)
    english_draft = draft.copy_for_translation(locale("en"))
    english_draft.save()  # a translation that is still a draft does not count

    found = {c.product.sku: c for c in candidates(languages=("de", "en"))}

    assert found["X-1"].product.texts["en"].name == "Drill"
    assert found["X-1"].product.texts["en"].long_text == "English"
    assert "translation (en)" not in found["X-1"].missing
    assert set(found["X-2"].product.texts) == {"de"}
    assert "translation (en)" in found["X-2"].missing
    assert "translation (en)" in found["X-3"].missing


def test_missing_fields_are_named_per_language():
    product = ProductFactory(sku="M-1", live=True, brand="")  # and no image
    translate(product, "en", long_text="")

    [candidate] = candidates(languages=("de", "en"))

    assert "brand" in candidate.missing
    assert "images" in candidate.missing
    assert "long text (en)" in candidate.missing


def test_categories_select_the_subtree():
    tools = CategoryFactory(slug="tools")
    cordless = CategoryFactory(slug="cordless", parent=tools)
    garden = CategoryFactory(slug="garden")
    for sku, chosen in (("T-1", [cordless]), ("G-1", [garden]), ("B-1", [tools, cordless])):
        product = ProductFactory(sku=sku, live=True)
        product.categories.add(*chosen)
        product.save()  # a cluster's relations are written when the product is saved

    assert [c.product.sku for c in candidates(category_slugs=("tools",))] == ["B-1", "T-1"]


def test_documents_say_their_purpose():
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    product = ProductFactory(sku="D-1", live=True)
    document = Document.objects.create(title="BS 18", file=ContentFile(b"%PDF-1.4", "bs18.pdf"))
    ProductDocument.objects.create(product=product, document=document, label="Datenblatt")

    [candidate] = candidates()

    [asset] = candidate.product.documents
    assert (asset.purpose, asset.mime_type, asset.description) == (
        "data_sheet",
        "application/pdf",
        "Datenblatt",
    )


def test_queries_do_not_grow_with_the_catalogue(django_assert_max_num_queries):
    for n in range(30):
        product = ProductFactory(sku=f"Q-{n:03d}", live=True)
        ProductFeatureFactory(product=product)
        ProductImageFactory(product=product)

    with django_assert_max_num_queries(14):
        found = list(
            feed_candidates(channel_key="bmecat", languages=("de", "en"), price_groups=("A",))
        )
    assert len(found) == 30
