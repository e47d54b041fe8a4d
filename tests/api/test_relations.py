"""The product API names a product's spare parts and accessories: only live ones, in the
product's language, and only as the approved version has them."""

import pytest

from content.models import Product, ProductRelation
from content.services import content_save_draft
from tests.factories import ProductFactory, locale

pytestmark = pytest.mark.django_db


@pytest.fixture
def pump(editor, publish):
    """A live pump whose approved version lists a live hose and a never-published valve."""
    hose = ProductFactory(sku="HOSE-1", live=True)
    valve = ProductFactory(sku="VALVE-1")
    product = ProductFactory.build(sku="PUMP-1")
    product.relations = [
        ProductRelation(kind="spare_part", related=hose, sort_order=0),
        ProductRelation(kind="accessory", related=valve, sort_order=1),
    ]
    content_save_draft(obj=product, user=editor)
    return publish(product)


def test_the_product_lists_its_live_relations_only(api, pump):
    response = api.get("/products/PUMP-1")

    assert response.json()["relations"] == [{"kind": "spare_part", "sku": "HOSE-1"}]


def test_a_relation_in_an_unapproved_draft_is_not_shown(api, editor, pump):
    grease = ProductFactory(sku="GREASE-1", live=True)
    draft = Product.objects.get(pk=pump.pk).get_latest_revision_as_object()
    draft.relations.add(ProductRelation(kind="accessory", related=grease))
    content_save_draft(obj=draft, user=editor)

    response = api.get("/products/PUMP-1")

    assert response.json()["relations"] == [{"kind": "spare_part", "sku": "HOSE-1"}]


def test_the_list_shows_relations_and_fields_can_leave_them_out(api, pump):
    listed = api.get("/products", {"locale": "de"}).json()["items"]
    trimmed = api.get("/products/PUMP-1", {"fields": "sku"}).json()

    assert {item["sku"]: item["relations"] for item in listed}["PUMP-1"] == [
        {"kind": "spare_part", "sku": "HOSE-1"}
    ]
    assert trimmed == {"sku": "PUMP-1"}


def test_an_english_product_shows_relations_live_in_english_only(api, pump, publish):
    publish(Product.objects.get(pk=pump.pk).copy_for_translation(locale("en")))

    response = api.get("/products/PUMP-1", {"locale": "en"})

    # The hose has no English version yet: nothing to offer an English shop.
    assert response.json()["relations"] == []


def test_an_english_product_names_the_english_version_of_the_related_product(api, pump, publish):
    hose = Product.objects.get(sku="HOSE-1")
    publish(hose.copy_for_translation(locale("en")))
    publish(Product.objects.get(pk=pump.pk).copy_for_translation(locale("en")))

    response = api.get("/products/PUMP-1", {"locale": "en"})

    assert response.json()["relations"] == [{"kind": "spare_part", "sku": "HOSE-1"}]
