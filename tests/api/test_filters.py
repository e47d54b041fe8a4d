"""Filters of the product list, as a channel system uses them."""

import datetime as dt

import pytest

from content.models import Product
from content.services import content_save_draft
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def skus(response):
    return [item["sku"] for item in response.json()["items"]]


def test_fields_selects_the_keys_of_each_product(api, live_product):
    response = api.get("/products", {"fields": "sku,name"})

    assert response.json()["items"] == [{"sku": "API-1", "name": "Schraube"}]


def test_fields_selects_the_keys_of_one_product(api, live_product):
    response = api.get("/products/API-1", {"fields": "price,sku"})

    assert response.json() == {"price": "19.90", "sku": "API-1"}


def test_without_fields_a_product_has_every_documented_field(api, live_product):
    from content.api import PRODUCT_FIELDS

    body = api.get("/products/API-1").json()

    assert tuple(body) == PRODUCT_FIELDS


def test_complete_for_lists_only_products_complete_for_that_channel(
    api, publish, make_draft, live_product
):
    # The newsletter needs name, short text and images.
    without_images = make_draft(sku="NO-IMAGES")
    without_images.images.all().delete()
    publish(Product.objects.get(pk=without_images.pk))

    complete = api.get("/products", {"complete_for": "newsletter"})
    everything = api.get("/products")

    assert skus(complete) == ["API-1"]
    assert skus(everything) == ["API-1", "NO-IMAGES"]


@pytest.fixture
def tree():
    tools = CategoryFactory(slug="werkzeug")
    drills = CategoryFactory(slug="bohrer", parent=tools)
    stone_drills = CategoryFactory(slug="steinbohrer", parent=drills)
    screws = CategoryFactory(slug="schrauben")
    return {"tools": tools, "drills": drills, "stone_drills": stone_drills, "screws": screws}


def live_in(publish, sku, *categories):
    product = ProductFactory(sku=sku)
    product.categories.add(*categories)
    product.save()
    return publish(Product.objects.get(pk=product.pk))


def test_category_includes_its_whole_subtree(api, publish, tree):
    live_in(publish, "TOOL", tree["tools"])
    live_in(publish, "STONE-DRILL", tree["stone_drills"])
    live_in(publish, "SCREW", tree["screws"])

    response = api.get("/products", {"category": "werkzeug"})

    assert skus(response) == ["TOOL", "STONE-DRILL"]


def test_category_leaves_out_its_parents(api, publish, tree):
    live_in(publish, "TOOL", tree["tools"])
    live_in(publish, "STONE-DRILL", tree["stone_drills"])

    response = api.get("/products", {"category": "bohrer"})

    assert skus(response) == ["STONE-DRILL"]


def test_a_product_in_two_categories_of_the_subtree_is_listed_once(api, publish, tree):
    live_in(publish, "DRILL-SET", tree["drills"], tree["stone_drills"])

    response = api.get("/products", {"category": "werkzeug"})

    assert skus(response) == ["DRILL-SET"]


def test_updated_since_lists_only_products_changed_after_it(api, publish, make_draft):
    old = publish(make_draft(sku="OLD"))
    publish(make_draft(sku="NEW"))
    Product.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    response = api.get("/products", {"updated_since": "2024-06-01T00:00:00Z"})

    assert skus(response) == ["NEW"]


def test_q_searches_name_and_sku(api, publish, make_draft):
    publish(make_draft(sku="M8-10", name="Sechskantschraube"))
    publish(make_draft(sku="NUT-8", name="Mutter"))

    by_name = api.get("/products", {"q": "kantschr"})
    by_sku = api.get("/products", {"q": "nut"})

    assert skus(by_name) == ["M8-10"]
    assert skus(by_sku) == ["NUT-8"]


def test_q_does_not_find_a_name_that_is_only_in_a_draft(api, editor, live_product):
    live_product.name = "Geheimprojekt"
    content_save_draft(obj=live_product, user=editor)

    response = api.get("/products", {"q": "Geheimprojekt"})

    assert skus(response) == []


def test_locale_lists_only_products_in_that_language(api, live_product):
    german = api.get("/products", {"locale": "de"})
    english = api.get("/products", {"locale": "en"})

    assert skus(german) == ["API-1"]
    assert skus(english) == []


def test_a_product_not_in_the_asked_language_is_not_found(api, live_product):
    response = api.get("/products/API-1", {"locale": "en"})

    assert response.status_code == 404
